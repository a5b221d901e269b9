"""The settings page's search over users: a substring of their userName, any email, display
name, given or family name, in any letter case.

Each user keeps those values casefolded in one column, `search_key`, written with them. One
`LIKE '%text%'` on it replaces an OR over five columns, and on PostgreSQL a trigram index over
(organization_id, search_key) finds the matches of one organization without reading its other
users: a search that names one person costs the same at 1,000 users as at 100,000, even before
the planner has statistics. A search that matches most users still reads them all (to count
them, at least)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tortoise.expressions import Q

SEARCHED = frozenset({"user_name", "emails", "display_name", "given_name", "family_name"})


def search_key(
    user_name: str,
    emails: Iterable[Mapping[str, Any]],
    display_name: str | None,
    given_name: str | None,
    family_name: str | None,
) -> str:
    """The column's value for these attributes: one casefolded line per value."""
    values = [user_name, *(str(email.get("value") or "") for email in emails)]
    values += [display_name or "", given_name or "", family_name or ""]
    return "\n".join(value.casefold() for value in values if value)


def matching(text: str) -> Q:
    """Users with `text` (already stripped and non-empty) in one of the searched values."""
    return Q(search_key__contains=text.casefold())
