"""api/schema.graphql is the contract scripts depend on: it must match the code."""

from __future__ import annotations

from pathlib import Path

from api.schema import schema_sdl

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "api" / "schema.graphql"


def test_the_exported_schema_is_current():
    assert SCHEMA_FILE.read_text() == schema_sdl(), "run `make schema` and commit the file"
