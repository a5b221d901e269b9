"""The values the strategies are made of: the SCIM schema URNs, strings with the characters
that break naive code, strings a server must refuse or survive, and JSON values of any shape."""

from __future__ import annotations

import string
from typing import Any

from hypothesis import strategies as st

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"

# Characters that break naive code: quotes and backslashes (string escapes), LIKE's wildcards,
# letters whose case differs (also outside ASCII: accents, Greek's three sigmas, the sharp s
# that upper-cases to SS), a right-to-left override, Hebrew, CJK, an emoji beyond the BMP.
TRICKY = '"\\%_@.-+ éÉßñΣσςЖж李\u202eש🙂'
ALPHABET = string.ascii_letters + string.digits + TRICKY
texts = st.text(ALPHABET, max_size=12)
# Strings a server must refuse or survive: control characters, NUL, lone surrogates.
EDGE_STRINGS = (
    "",
    " ",
    "\u0000",
    "a\u0000b",
    "\ud800",
    "\udfff",
    "x\ud83d",
    "\u202egnp.exe",
    "🙂" * 3,
    "\n\t\r",
    "null",
    "true",
    "1e999",
    "%s%n",
    "' OR 1=1 --",
    "<script>",
    "../../etc/passwd",
)
edge_strings = st.sampled_from(EDGE_STRINGS) | st.text(max_size=20)

# JSON values: scalars of every type, lists and objects of them
scalars: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    edge_strings,
    texts,
)
_KEYS = st.sampled_from(["value", "type", "primary", "x"]) | texts


def _containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(children, max_size=4) | st.dictionaries(_KEYS, children, max_size=4)


json_values: st.SearchStrategy[Any] = st.recursive(scalars, _containers, max_leaves=12)


def nested(depth: int) -> Any:
    """A list nested `depth` deep."""
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


huge_strings = st.sampled_from([600, 5_000, 70_000, 900_000]).map(lambda n: "x" * n)
