"""The floors of the house: web -> api, scim -> domain; api and scim never import each other;
bench/ and tests/ never import each other."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

# The code's shape is the same whatever the database: checked once, on the SQLite pass.
pytestmark = pytest.mark.skipif(
    bool(os.environ.get("ROSTER_TEST_DATABASE_URL")),
    reason="no database involved: checked on the SQLite pass",
)

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "domain": {"api", "scim", "web", "starlette", "strawberry", "uvicorn", "httpx"},
    "api": {"scim", "web"},
    "scim": {"api", "web", "strawberry"},
    "sso": {"api", "scim", "web", "starlette", "strawberry"},
}


def imported_top_levels(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_floor_imports_nothing_from_the_floors_above_it(package):
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_top_levels(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
    }
    assert {path: names for path, names in offenders.items() if names} == {}


DOORS = ("api", "scim", "sso", "web")
# what Tortoise's models and querysets answer: reading or writing the database
_DATABASE_CALLS = frozenset(
    {"all", "annotate", "bulk_create", "bulk_update", "count", "create", "delete", "exclude",
     "exists", "filter", "first", "get", "get_or_create", "get_or_none", "raw",
     "select_for_update", "update", "update_or_create", "fetch_related", "save"}
)  # fmt: skip


def imported_modules(path: Path) -> dict[str, set[str]]:
    """Each absolute `from X import a, b` of the file: {X: {a, b}} (and `import X`: {X: {}})."""
    modules: dict[str, set[str]] = {}
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.setdefault(node.module, set()).update(
                alias.asname or alias.name for alias in node.names
            )
        elif isinstance(node, ast.Import):
            for alias in node.names:
                modules.setdefault(alias.name, set())
    return modules


def door_modules() -> list[Path]:
    return [path for door in DOORS for path in sorted((ROOT / door).rglob("*.py"))]


def test_the_doors_use_no_handler_of_the_domain():
    """The doors run commands through the bus; a handler's internals are the domain's own."""
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            module for module in imported_modules(path) if module.startswith("domain.handlers")
        )
        for path in door_modules()
    }
    assert {path: modules for path, modules in offenders.items() if modules} == {}


def test_the_doors_name_the_domains_models_but_never_query_them():
    """A door may name a model as a type and read the attributes of what a domain query or
    command returned; reading or writing the database goes through the domain's queries."""
    offenders = []
    for path in door_modules():
        models = imported_modules(path).get("domain.models", set())
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in models
                and node.func.attr in _DATABASE_CALLS
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {ast.unparse(node)}")
    assert offenders == []


@pytest.mark.parametrize(("package", "other"), [("bench", "tests"), ("tests", "bench")])
def test_the_benchmarks_and_the_tests_import_nothing_from_each_other(package, other):
    """bench/ measures speed, tests/ checks correctness. Only the benchmark's own tests
    (tests/bench/, which check its load generator, targets and smoke run) import it."""
    importers = [
        str(path.relative_to(ROOT))
        for path in (ROOT / package).rglob("*.py")
        if other in imported_top_levels(path) and (ROOT / "tests" / "bench") not in path.parents
    ]
    assert importers == []


def test_only_one_module_imports_passlib():
    importers = [
        str(path.relative_to(ROOT))
        for package in ("domain", "api", "scim", "web")
        for path in (ROOT / package).rglob("*.py")
        if "passlib" in imported_top_levels(path)
    ]
    assert importers == ["domain/credentials.py"]


def test_only_one_module_reads_roster_settings_from_the_environment():
    readers = [
        str(path.relative_to(ROOT))
        for package in ("domain", "api", "scim", "web")
        for path in (ROOT / package).rglob("*.py")
        if "ROSTER_" in path.read_text()
        and re.search(r"\bos\.environ\b|\bgetenv\(", path.read_text())
    ]
    assert readers == ["web/settings.py"]


@pytest.mark.slow
def test_every_domain_module_can_be_imported_first():
    """No import cycle: each module of the domain loads on its own, in a fresh interpreter."""
    modules = [
        ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for path in sorted((ROOT / "domain").rglob("*.py"))
        if "migrations" not in path.parts and path.name != "__init__.py"
    ]
    script = (
        "import importlib, subprocess, sys\n"
        "failed = [m for m in sys.argv[1:] if subprocess.run("
        "[sys.executable, '-c', f'import {m}'], capture_output=True).returncode]\n"
        "print(' '.join(failed))\n"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script, *modules], capture_output=True, text=True, cwd=ROOT
    )
    assert result.stdout.split() == []
