"""The benchmark's own tests: the only tests that import `bench/`, whose code they check."""
