"""`python -m bench.stress`: Roster under concurrency, faults and hostile input, against a real
`roster serve` on 127.0.0.1. One line per scenario with its figures, then `N passed, M failed`.
Scenario modules: `concurrency`, `faults`, `fuzz`, `limits`; the harness is `harness`."""
