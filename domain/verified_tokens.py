"""SCIM tokens this process verified a moment ago.

Identity providers send the same SCIM token with every request, thousands a minute during an
import, so a verified token is trusted for at most `SECONDS` without a database read: a revoked
token stops working at once on the process that revoked it (`forget`) and within a second on
every other. Keys are digests; the process never keeps a token itself.

This bound holds across processes and hosts with nothing shared but the database, so the
shared store (Redis) is deliberately not used here: sharing verified tokens would save each
process at most one indexed read per token per second, and publishing revocations would only
matter if trust lasted longer than a second (and would be lost while Redis is away)."""

from __future__ import annotations

import time

from domain.actors import Actor

SECONDS = 1.0
_MAX_ENTRIES = 1000

# token digest -> (monotonic expiry, token id, actor)
_verified: dict[str, tuple[float, str, Actor]] = {}


def recall(digest: str) -> Actor | None:
    remembered = _verified.get(digest)
    if remembered is None or remembered[0] <= time.monotonic():
        return None
    return remembered[2]


def now() -> float:
    return time.monotonic()


def remember(digest: str, token_id: str, actor: Actor, read_at: float) -> None:
    """Trust the token until `SECONDS` after `read_at`, when its row was about to be read: a
    revoke that committed while the read was under way is then honoured within the second
    too."""
    now = time.monotonic()
    if len(_verified) >= _MAX_ENTRIES:
        for stale in [key for key, (expiry, _, _) in _verified.items() if expiry <= now]:
            del _verified[stale]
    if len(_verified) < _MAX_ENTRIES:
        _verified[digest] = (read_at + SECONDS, token_id, actor)


def forget(token_id: str) -> None:
    """Stop trusting a token (it was just revoked)."""
    for key in [key for key, (_, remembered, _) in _verified.items() if remembered == token_id]:
        del _verified[key]
