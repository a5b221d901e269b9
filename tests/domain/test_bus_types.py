"""The bus is typed by its commands: `handle(command: Command[R], actor) -> R`. Each command
names what its handler returns, and the registry's handler returns exactly that."""

from __future__ import annotations

import typing

import pytest

from domain import commands
from domain.commands import Command
from domain.handlers import HANDLERS

COMMANDS = sorted(
    (
        value
        for value in vars(commands).values()
        if isinstance(value, type) and issubclass(value, Command) and value is not Command
    ),
    key=lambda command: command.__name__,
)


def result_of(command: type[Command[object]]) -> object:
    """The R of a command class declared as `class X(Command[R])`."""
    (base,) = [b for b in command.__orig_bases__ if typing.get_origin(b) is Command]
    return typing.get_args(base)[0]


def test_every_command_has_a_handler():
    assert set(COMMANDS) == set(HANDLERS)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: command.__name__)
def test_a_commands_handler_returns_what_the_command_declares(command):
    handler = HANDLERS[command]
    returned = typing.get_type_hints(handler)["return"]  # tuple[R, AuditEntry]
    assert typing.get_args(returned)[0] is result_of(command)
