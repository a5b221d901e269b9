"""The stress suite: Roster under concurrency, faults and hostile input, against real `roster
serve` processes on 127.0.0.1 (marker `stress`). `make test` runs its quick version on both
databases; `make stress` the full one (`--stress-full`), its figures in stress-*.json."""
