"""Hypothesis strategies for SCIM traffic, valid and hostile: filters (`filters`, with their
meaning), PATCH bodies (`patches`), user and search bodies and raw bytes (`bodies`), and the
values they are made of (`values`). The property tests (tests/scim/test_*_properties.py,
test_body_fuzz.py) and the stress suite's fuzz tests (tests/stress/test_fuzz.py) draw from
them.

Bodies are plain JSON values; send them with `bodies.encode(...)`, which keeps lone surrogates
as `\\ud800` escapes (httpx's own `json=` would fail to encode them)."""
