"""The bus is typed by its commands: `handle(command: Command[R], actor) -> R`. Each command
names what its handler returns, and the registry's handler returns exactly that."""

from __future__ import annotations

import dataclasses
import typing

import pytest

from domain import commands
from domain.commands import Command
from domain.handlers import HANDLERS

COMMANDS = sorted(
    (
        value
        for value in vars(commands).values()
        # the concrete commands: frozen dataclasses (their shared bases are not)
        if isinstance(value, type)
        and issubclass(value, Command)
        and dataclasses.is_dataclass(value)
    ),
    key=lambda command: command.__name__,
)


def result_of(command: type[Command[object]]) -> object:
    """The R of a command class declared as `class X(Command[R])`, or through a base that is."""
    (base,) = [
        b
        for cls in command.__mro__
        for b in getattr(cls, "__orig_bases__", ())
        if typing.get_origin(b) is Command
    ][:1]
    return typing.get_args(base)[0]


def test_every_command_has_a_handler():
    assert set(COMMANDS) == set(HANDLERS)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: command.__name__)
def test_a_commands_handler_returns_what_the_command_declares(command):
    handler = HANDLERS[command]
    returned = typing.get_type_hints(handler)["return"]  # tuple[R, AuditEntry]
    assert typing.get_args(returned)[0] is result_of(command)
