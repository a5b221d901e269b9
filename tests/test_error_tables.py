"""One tree of domain errors, mapped by each door: every class of the tree (all but its root,
which nothing raises) has an entry in the SCIM and the GraphQL tables, its own or a base's, so
that a domain error added without one fails here instead of reaching a client as a bug."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

from api.errors import GRAPHQL_ERRORS, exception_handlers
from domain.errors import DomainError
from scim.errors import SCIM_ERRORS

PACKAGES = ("domain", "scim", "api", "web")


def _import_every_module() -> None:
    """So that a domain error defined anywhere in the project is a subclass known here."""
    for package in PACKAGES:
        for module in pkgutil.walk_packages(importlib.import_module(package).__path__):
            if module.name != "migrations":
                importlib.import_module(f"{package}.{module.name}")


def _subclasses(root: type[DomainError]) -> list[type[DomainError]]:
    return [cls for sub in root.__subclasses__() for cls in (sub, *_subclasses(sub))]


_import_every_module()
DOMAIN_ERRORS = [
    cls for cls in _subclasses(DomainError) if cls.__module__.partition(".")[0] in PACKAGES
]


def test_every_domain_error_is_in_the_one_tree():
    assert {cls.__name__: cls.__module__ for cls in DOMAIN_ERRORS} == {
        cls.__name__: "domain.errors" for cls in DOMAIN_ERRORS
    }


@pytest.mark.parametrize("error", DOMAIN_ERRORS, ids=lambda cls: cls.__name__)
def test_the_scim_door_maps_every_domain_error(error):
    assert issubclass(error, SCIM_ERRORS[error].error)


@pytest.mark.parametrize("error", DOMAIN_ERRORS, ids=lambda cls: cls.__name__)
def test_the_graphql_door_maps_every_domain_error(error):
    assert issubclass(error, GRAPHQL_ERRORS[error].error)


@pytest.mark.parametrize("error", DOMAIN_ERRORS, ids=lambda cls: cls.__name__)
def test_a_mutation_answers_a_domain_error_by_its_nearest_entry(error):
    """Strawberry takes the first exception handler whose exception type matches: it must be
    the one of the error's nearest entry (none when that entry has no union member)."""
    outcome = GRAPHQL_ERRORS[error]
    handlers = [
        h.exception_type for h in exception_handlers() if issubclass(error, h.exception_type)
    ]
    assert handlers[:1] == ([outcome.error] if outcome.member is not None else [])
