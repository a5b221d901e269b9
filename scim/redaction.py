"""What the provisioning request log keeps of a SCIM body or query: everything but passwords,
always, and the attributes the operator names (`ROSTER_REQUEST_LOG_REDACT`), wherever they
appear: as a key of the resource (core, dotted as Entra sends `name.givenName`, or qualified
by its schema's URN), or as the target of a PATCH operation's `path`, in a filter."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

REDACTED = "[redacted]"
ALWAYS = frozenset({"password"})  # never stored, whatever the configuration
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')


def redaction_set(configured: Iterable[str]) -> frozenset[str]:
    """The attribute names to redact, casefolded: the configured ones and the passwords."""
    return ALWAYS | {name.strip().casefold() for name in configured if name.strip()}


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
