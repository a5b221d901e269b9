"""What the provisioning request log keeps of a SCIM body or query: everything but passwords,
always, the attributes the operator names (`ROSTER_REQUEST_LOG_REDACT`) and those the
organization's admin names, wherever they appear: as a key of the resource (core, dotted as
Entra sends `name.givenName`, or qualified by its schema's URN), or as the target of a PATCH
operation's `path`, in a filter."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

from domain.provisioning_log import ALWAYS_REDACTED as ALWAYS

REDACTED = "[redacted]"
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')


def redaction_set(configured: Iterable[str]) -> frozenset[str]:
    """The attribute names to redact, casefolded: the configured ones as the attribute they
    name (a URN-qualified name as its own, a sub-attribute as the whole attribute: more is
    redacted, never less) and the passwords."""
    return ALWAYS | {attribute_of(name) for name in configured if name.strip()}


class Redaction:
    """One set of attribute names to redact, and what the log keeps of a body or a query by it."""

    __slots__ = ("_needles", "names")

    def __init__(self, names: frozenset[str]) -> None:
        self.names = names  # casefolded, passwords included (`redaction_set`)
        self._needles = tuple(name.encode() for name in names)

    def body(self, body: bytes, *, response: bool = False) -> str:
        """The body as the log keeps it. Most bodies name nothing to redact and are kept as
        sent, without being parsed."""
        # (Roster's answers never hold a password: with nothing else to redact, kept as sent)
        clean = response and self.names == ALWAYS
        if clean or not self._may_name_any(body):
            return body.decode("utf-8", "replace")
        return redacted_body(body, self.names)

    def query(self, query: str) -> str:
        return redacted_query(query, self.names)

    def _may_name_any(self, body: bytes) -> bool:
        """Whether the body could name a redacted attribute: it holds one's name, in any
        case, or a JSON escape that could spell one."""
        lowered = body.lower()
        return b"\\u" in lowered or any(name in lowered for name in self._needles)


def attribute_of(name: str) -> str:
    """The top attribute a key or PATCH path names, casefolded: `name.givenName` -> `name`,
    `emails[type eq "work"].value` -> `emails`, `urn:…:enterprise:2.0:User:manager` ->
    `manager`."""
    head = name.split("[", 1)[0]
    if head.lower().startswith("urn:"):
        head = head.rsplit(":", 1)[-1]
    return head.split(".", 1)[0].strip().casefold()


def redacted_body(body: bytes, names: frozenset[str]) -> str:
    """The body as JSON text with the named attributes' values replaced; a body that is not
    JSON is not kept (it could hold anything), only its size."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return f"[not JSON: {len(body)} bytes]"
    return json.dumps(_redacted(document, names), ensure_ascii=False, separators=(",", ":"))


def _redacted(value: Any, names: frozenset[str]) -> Any:
    if isinstance(value, list):
        return [_redacted(item, names) for item in value]
    if not isinstance(value, dict):
        return value
    operation_path = value.get("path")
    hidden_operation = (
        isinstance(operation_path, str)
        and "value" in value
        and attribute_of(operation_path) in names
    )
    kept: dict[str, Any] = {}
    for key, item in value.items():
        if (hidden_operation and key == "value") or (
            isinstance(key, str) and attribute_of(key) in names
        ):
            kept[key] = REDACTED
        else:
            kept[key] = _redacted(item, names)
    return kept


def redacted_query(query: str, names: frozenset[str]) -> str:
    """The query string, decoded for reading, with the quoted values of a filter that names a
    redacted attribute replaced (`filter=phoneNumbers eq "[redacted]"`)."""
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True)
    kept = []
    for key, value in pairs:
        if key.lower() == "filter" and _names_any(value, names):
            value = _QUOTED.sub(f'"{REDACTED}"', value)
        kept.append((key, value))
    return "&".join(f"{key}={value}" for key, value in kept)


def _names_any(filter_text: str, names: frozenset[str]) -> bool:
    words = {attribute_of(word) for word in re.findall(r"[A-Za-z][\w:.\-]*", filter_text)}
    return bool(words & names)
