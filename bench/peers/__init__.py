"""Peers that run in an environment of their own (`.venv-peers`, from requirements.txt beside
this file), not in Roster's: their code is started as a separate process and never imported by
the benchmark itself."""
