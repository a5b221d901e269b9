"""Requests generated from the schema (hypothesis-graphql) meet only expected outcomes.

Whoever sends them (a super-admin by API token or session, an application admin, a basic
user, nobody), a generated query or mutation gets data, a typed error in its result union, or
a GraphQL error that is either a refusal of the document (syntax, validation, the limits) or
one of ours with a `code`; never `Unexpected error.` (a masked bug, logged with its errorId)
and never a 5xx. Documents beyond the depth, alias and token limits are refused by those
limits, and documents within them are not.

IDs and strings are drawn partly from the test's own world (placeholders such as "@user" are
replaced by real ids before sending), so that generated mutations reach real users, roles and
tokens of the organization, and another organization's, not only "not found"."""

from __future__ import annotations

import gc
import json
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import graphql
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema, mutations, nodes, queries

import api
from api.schema import MAX_ALIASES, MAX_DEPTH, MAX_TOKENS
from domain import bus, credentials
from domain.actors import Actor
from domain.commands import CreateCustomRole, CreateOrganization, IssueApiToken, IssueScimToken
from domain.credentials import display_prefix
from domain.models import AuditEvent, LoginFailure, TokenKind
from domain.paging import encode_cursor
from domain.queries import user_cursor
from tests.api.conftest import CSRF
from tests.conftest import provision

# When a field fails where null is not allowed, graphql-core drops the coroutines of fields
# still pending (its own and strawberry's resolvers) without awaiting them, and Python warns
# about each when it is collected: graphql-core issues #236 and #269 (open for 3.3),
# strawberry #3820. Harmless (they never ran), and not Roster's to fix; other warnings stay
# errors.
pytestmark = pytest.mark.filterwarnings(
    r"ignore:Exception ignored in. <coroutine object (GraphQLCoreConverter|Executor)\."
    ":pytest.PytestUnraisableExceptionWarning"
)
SDL = (Path(api.__file__).parent / "schema.graphql").read_text()
MAX_EXAMPLES = 40
FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    # the app and its signed-in clients are set up once for all the examples of a test: the
    # examples share one database, which is what a long-lived server sees too
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
KNOWN_CODES = {"BAD_REQUEST", "FORBIDDEN", "NOT_FOUND", "UNAUTHENTICATED"}
# what only the other organization holds: never in a response to acme's callers
GLOBEX_SECRETS = ("ghost@globex.test", "Globex Corporation", "Globex Okta")

# --- values drawn from the test's world ---------------------------------------------------

PLACEHOLDERS = (
    "@me",  # the acting super-admin
    "@admin",
    "@user",
    "@custom_role",
    "@scim_token",
    "@scim_prefix",
    "@api_token",
    "@api_prefix",
    "@cursor",
    "@other_user",  # globex's
    "@other_role",
    "@other_token",
    "@other_cursor",
)
WORDS = (
    *PLACEHOLDERS,
    "super-admin",
    "admin",
    "ADMIN",
    " basic-user ",
    "limited-plus-user",
    "limited-user",
    "appstore-user",
    "cr_0000000000000000",
    "root@acme.test",
    "basic@acme.test",
    "00000000-0000-0000-0000-000000000000",
    "",
    " ",
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=5,
)
# cursors of the server's shape with any content: a forged cursor is a bad request, not a bug
FORGED_CURSORS = st.lists(JSON_VALUES, max_size=3).map(encode_cursor)
STRINGS = st.one_of(st.sampled_from(WORDS), st.text(max_size=40), FORGED_CURSORS)
SCALARS = {
    "String": STRINGS.map(nodes.String),
    "ID": st.one_of(STRINGS.map(nodes.String), st.integers().map(nodes.Int)),
    "Int": st.one_of(
        st.integers(min_value=-2, max_value=202),
        st.integers(min_value=-(2**31), max_value=2**31 - 1),
    ).map(nodes.Int),
}
QUERIES = queries(SDL, custom_scalars=SCALARS)
MUTATIONS = mutations(SDL, custom_scalars=SCALARS)
OPERATIONS = from_schema(SDL, custom_scalars=SCALARS)
BROKEN = from_schema(SDL, mode=Mode.NEGATIVE)


@dataclass
class World:
    """acme's admins, users, roles and tokens, and globex's: what placeholders stand for."""

    values: dict[str, str]
    log: pytest.LogCaptureFixture  # where the server logs an error it masks (api.errors)
    requests: int = 0

    def document(self, generated: str) -> str:
        for placeholder, value in self.values.items():
            generated = generated.replace(json.dumps(placeholder), json.dumps(value))
        return generated

    def variables(self, generated: Any) -> Any:
        if isinstance(generated, dict):
            return {key: self.variables(value) for key, value in generated.items()}
        if isinstance(generated, list):
            return [self.variables(value) for value in generated]
        if isinstance(generated, str):
            return self.values.get(generated, generated)
        return generated


@pytest.fixture(autouse=True)
def cheap_passwords(monkeypatch) -> None:
    """argon2 at its lowest cost, for the admins the fixtures make and the sign-ins generated:
    what reaches the password check is fuzzed here, not its price (half a second each)."""
    cheap = credentials._passwords.copy(
        argon2__rounds=1, argon2__memory_cost=8, argon2__parallelism=1
    )
    monkeypatch.setattr(credentials, "_passwords", cheap)


@pytest.fixture
async def world(organization, operator, scim, super_admin_id, caplog) -> World:
    root = Actor.admin(
        user_id=super_admin_id,
        label="root@acme.test",
        organization_id=organization.id,
        permission_level="super-admin",
    )
    app_admin = await provision(scim, "jane@acme.test", role="admin")
    user = await provision(scim, "joe@acme.test")
    role = await bus.handle(CreateCustomRole("Support", "limited-user"), operator)
    scim_token = await bus.handle(IssueScimToken("Entra"), operator)
    api_token = await bus.handle(IssueApiToken("spare"), root)

    globex = await bus.handle(CreateOrganization("globex", "Globex Corporation"), Actor.operator())
    globex_operator = Actor.operator(globex.id)
    globex_scim = Actor.scim_token("00000000-0000-0000-0000-0000000000aa", "Okta", globex.id)
    ghost = await provision(globex_scim, "ghost@globex.test")
    other_role = await bus.handle(CreateCustomRole("Spies", "admin"), globex_operator)
    other_token = await bus.handle(IssueScimToken("Globex Okta"), globex_operator)

    return World(
        {
            "@me": super_admin_id,
            "@admin": str(app_admin.id),
            "@user": str(user.id),
            "@custom_role": role.key,
            "@scim_token": str(scim_token.token.id),
            "@scim_prefix": display_prefix(scim_token.token.lookup, TokenKind.SCIM),
            "@api_token": str(api_token.token.id),
            "@api_prefix": display_prefix(api_token.token.lookup, TokenKind.API),
            "@cursor": user_cursor(user, "user_name"),
            "@other_user": str(ghost.id),
            "@other_role": other_role.key,
            "@other_token": str(other_token.token.id),
            "@other_cursor": user_cursor(ghost, "user_name"),
        },
        caplog,
    )


@pytest.fixture
def every_example(request, world) -> Iterator[None]:
    """Hypothesis runs all the examples of a test with its fixtures set up once (see FUZZ):
    check that they did run, each sending its request."""
    failed_before = request.session.testsfailed
    yield
    gc.collect()  # the coroutines graphql-core dropped are warned about now (see pytestmark)
    if request.session.testsfailed == failed_before:  # (a failing test stopped early)
        assert world.requests >= MAX_EXAMPLES, world.requests


async def send(
    client, world: World, generated: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Send a generated document and check that its outcome is an expected one."""
    document = world.document(generated)
    variables = world.variables(variables or {})
    world.log.clear()
    # JSON escapes what UTF-8 cannot carry (half a surrogate pair): send it as a client may
    content = json.dumps({"query": document, "variables": variables})
    response = await client.http.post(
        "/graphql", content=content, headers={"Content-Type": "application/json", **CSRF}
    )
    world.requests += 1
    assert response.status_code < 500, (document, variables, response.text)
    body = response.json()
    for error in body.get("errors") or []:
        extensions = error.get("extensions") or {}
        assert error["message"] != "Unexpected error.", (document, variables, body)
        assert "errorId" not in extensions, (document, variables, body)
        if "path" in error:  # raised while resolving: one of ours, with its code
            assert extensions.get("code") in KNOWN_CODES, (document, variables, body)
        else:  # a refusal of the document (or its variables): nothing was resolved
            assert body.get("data") is None, (document, variables, body)
    for secret in GLOBEX_SECRETS:
        assert secret not in response.text, (document, variables, response.text)
    masked = [
        r.getMessage()
        for r in world.log.records
        if r.name == "roster.graphql" and r.levelno >= logging.ERROR
    ]
    assert not masked, (document, variables, masked)
    return dict(body)


async def signed_in_again(client, email: str, document: str) -> None:
    """A generated `logout` ends the client's session: sign in again for the next example
    (after forgetting the failed sign-ins generated `login`s left, which would throttle it)."""
    if "logout" in document:
        await LoginFailure.all().delete()
        assert (await client.login(email))["__typename"] == "LoginPayload"


# --- queries ------------------------------------------------------------------------------


@FUZZ
@given(generated=QUERIES)
# what an earlier run found (values longer than their column, NUL, forged cursors)
@example(generated='{ role(id: "%s") { key } }' % ("x" * 65))
@example(generated='{ users(role: "%s", search: "\\u0000") { totalCount } }' % ("x" * 65))
@example(generated='{ auditEvents(targetId: "%s", action: "\\u0000") { totalCount } }' % ("x" * 65))
@example(
    generated='{ users(after: "%s") { totalCount } }' % encode_cursor([{}, str(uuid.UUID(int=0))])
)
@example(generated='{ auditEvents(after: "%s") { totalCount } }' % encode_cursor([2**64]))
async def test_generated_queries_by_a_super_admin_s_api_token_meet_no_unexpected_error(
    script, world, every_example, generated
):
    await send(script, world, generated)


@FUZZ
@given(generated=QUERIES)
async def test_generated_queries_by_a_signed_in_super_admin_meet_no_unexpected_error(
    root, world, every_example, generated
):
    await send(root, world, generated)


@FUZZ
@given(generated=QUERIES)
async def test_generated_queries_by_a_basic_user_meet_no_unexpected_error(
    basic, world, every_example, generated
):
    body = await send(basic, world, generated)
    for error in body.get("errors") or []:  # a basic user reads nothing but the viewer
        assert error.get("extensions", {}).get("code") in (None, "FORBIDDEN", "BAD_REQUEST"), body


@FUZZ
@given(generated=QUERIES)
async def test_generated_queries_signed_out_meet_no_unexpected_error(
    anonymous, world, every_example, generated
):
    body = await send(anonymous, world, generated)
    for error in body.get("errors") or []:
        code = error.get("extensions", {}).get("code")
        assert code in (None, "UNAUTHENTICATED", "BAD_REQUEST"), body


# --- mutations ----------------------------------------------------------------------------


@FUZZ
@given(generated=MUTATIONS)
@example(generated='mutation { deleteCustomRole(id: "%s") { __typename } }' % ("x" * 65))
@example(
    generated='mutation { setUserRole(userId: "@user", role: "%s") { __typename } }' % ("x" * 65)
)
@example(generated='mutation { login(email: "%s", password: "x") { __typename } }' % ("x" * 600))
@example(generated='mutation { login(email: "\\u0000", password: "x") { __typename } }')
@example(generated='mutation { revokeApiToken(id: "rst_api_\\u0000bcdefghijkl") { __typename } }')
async def test_generated_mutations_by_a_super_admin_s_api_token_meet_no_unexpected_error(
    script, world, every_example, generated
):
    await send(script, world, generated)


@FUZZ
@given(generated=MUTATIONS)
async def test_generated_mutations_by_a_signed_in_super_admin_meet_no_unexpected_error(
    root, world, every_example, generated
):
    await send(root, world, generated)
    await signed_in_again(root, "root@acme.test", generated)


@FUZZ
@given(generated=MUTATIONS)
async def test_generated_mutations_by_a_basic_user_change_nothing_and_meet_no_unexpected_error(
    basic, world, every_example, generated
):
    await send(basic, world, generated)
    changes = AuditEvent.filter(actor_label="basic@acme.test").exclude(
        action__in=["admin.signed_in", "admin.signed_out"]
    )
    assert not await changes.exists()
    await signed_in_again(basic, "basic@acme.test", generated)


@FUZZ
@given(generated=OPERATIONS)
# what an earlier run found (a field only super-admins may read)
@example(generated="{ organization { ssoConnections { updatedAt } } }")
async def test_generated_operations_by_an_application_admin_meet_no_unexpected_error(
    admin, world, every_example, generated
):
    await send(admin, world, generated)
    await signed_in_again(admin, "admin@acme.test", generated)


@FUZZ
@given(generated=BROKEN)
async def test_documents_that_break_the_schema_are_refused_before_anything_runs(
    script, world, every_example, generated
):
    body = await send(script, world, generated)
    assert body["errors"], body
    assert all("path" not in error for error in body["errors"]), body


# --- variables ----------------------------------------------------------------------------

SCHEMA = graphql.build_schema(SDL)
# JSON strings may carry what a GraphQL literal cannot: NUL, half a surrogate pair
ANY_TEXT = st.text(st.characters(exclude_categories=[]), max_size=20)
ODD_JSON = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    ANY_TEXT,
)


def _values(type_: graphql.GraphQLInputType) -> st.SearchStrategy[Any]:
    """JSON for a variable of `type_`: mostly of the type (with odd strings), sometimes not."""
    nullable = not isinstance(type_, graphql.GraphQLNonNull)
    named = graphql.get_nullable_type(type_)
    if isinstance(named, graphql.GraphQLList):
        typed: st.SearchStrategy[Any] = st.lists(_values(named.of_type), max_size=3)
    elif isinstance(named, graphql.GraphQLInputObjectType):
        typed = st.fixed_dictionaries(
            {
                n: _values(f.type)
                for n, f in named.fields.items()
                if graphql.is_required_input_field(f)
            },
            optional={
                n: _values(f.type)
                for n, f in named.fields.items()
                if not graphql.is_required_input_field(f)
            },
        )
    elif isinstance(named, graphql.GraphQLEnumType):
        typed = st.sampled_from(sorted(named.values))
    elif named.name in ("String", "ID"):
        typed = st.one_of(st.sampled_from(WORDS), ANY_TEXT, FORGED_CURSORS)
    elif named.name == "Int":
        typed = st.one_of(st.integers(-2, 202), st.integers())
    else:
        typed = st.booleans()
    return st.one_of(typed, st.none(), ODD_JSON) if nullable else st.one_of(typed, ODD_JSON)


def _selection(type_: graphql.GraphQLOutputType) -> str:
    named = graphql.get_named_type(type_)
    if isinstance(named, graphql.GraphQLScalarType | graphql.GraphQLEnumType):
        return ""
    return (
        " { __typename ... on Error { message } }"
        if isinstance(named, graphql.GraphQLUnionType)
        else " { __typename }"
    )


LOGIN = """mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { __typename }
}"""


@st.composite
def with_variables(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """One root field with arguments, each passed as a variable of its declared type."""
    operation = draw(st.sampled_from(["query", "mutation"]))
    root = SCHEMA.query_type if operation == "query" else SCHEMA.mutation_type
    assert root is not None
    name = draw(st.sampled_from(sorted(n for n, f in root.fields.items() if f.args)))
    field_ = root.fields[name]
    declared = ", ".join(f"${arg}: {a.type}" for arg, a in field_.args.items())
    passed = ", ".join(f"{arg}: ${arg}" for arg in field_.args)
    document = f"{operation}({declared}) {{ {name}({passed}){_selection(field_.type)} }}"
    variables = {arg: draw(_values(a.type)) for arg, a in field_.args.items()}
    return document, variables


@FUZZ
@given(generated=with_variables())
@example(generated=("query($id: ID!) { role(id: $id) { key } }", {"id": None}))
@example(generated=(LOGIN, {"email": "root@acme.test", "password": "\ud800"}))
@example(generated=(LOGIN, {"email": "\udfff", "password": "x"}))
async def test_generated_variables_meet_no_unexpected_error(
    script, world, every_example, generated
):
    document, variables = generated
    await send(script, world, document, variables)


# --- the limits ---------------------------------------------------------------------------


def _selectable_fields(type_name: str) -> dict[str, str]:
    """The fields of a type that take a selection and need no argument: name -> their type."""
    type_ = SCHEMA.get_type(type_name)
    if not isinstance(type_, graphql.GraphQLObjectType | graphql.GraphQLInterfaceType):
        return {}
    selectable = {}
    for name, field_ in type_.fields.items():
        named = graphql.get_named_type(field_.type)
        if graphql.is_composite_type(named) and not any(
            graphql.is_required_argument(argument) for argument in field_.args.values()
        ):
            selectable[name] = named.name
    return selectable


@st.composite
def nested_documents(draw: st.DrawFn) -> tuple[str, int, bool]:
    """A document whose fields nest `depth` deep below the root field: down the schema as far
    as it goes (its types nest five deep at most), then on through names that do not exist.
    Returns the document, its depth as the limiter counts it (the root field at 0) and
    whether it is valid otherwise."""
    depth = draw(st.integers(min_value=1, max_value=3 * MAX_DEPTH))
    names: list[str] = []
    type_name: str | None = "Query"
    for _ in range(depth):
        fields = _selectable_fields(type_name) if type_name else {}
        if fields:
            name = draw(st.sampled_from(sorted(fields)))
            type_name = fields[name]
        else:
            name = draw(st.sampled_from(["viewer", "user", "role", "node", "edges", "x"]))
            type_name = None
        names.append(name)
    document = "{ " + " { ".join(names) + " { __typename }" + " }" * (depth - 1) + " }"
    return document, depth, type_name is not None


@FUZZ
@given(generated=nested_documents())
async def test_a_document_is_refused_by_the_depth_limit_exactly_when_deeper_than_ten(
    root, world, every_example, generated
):
    document, depth, valid = generated
    body = await send(root, world, document)
    refused = any(
        f"exceeds maximum operation depth of {MAX_DEPTH}" in error["message"]
        for error in body.get("errors") or []
    )
    assert refused == (depth > MAX_DEPTH), (document, body)
    if valid:  # (the schema nests five deep at most: a valid document is within the limit)
        assert "errors" not in body, body


@st.composite
def aliased_documents(draw: st.DrawFn) -> tuple[str, int]:
    """A valid document with `count` aliases, some on root fields, some nested."""
    count = draw(st.integers(min_value=0, max_value=3 * MAX_ALIASES))
    roots, nested = [], []
    for index in range(count):
        if draw(st.booleans()):
            roots.append(
                draw(
                    st.sampled_from(
                        [
                            "a%d: viewer { permissions }",
                            "a%d: organization { name }",
                            "a%d: roles { key }",
                            "a%d: __typename",
                        ]
                    )
                )
                % index
            )
        else:
            nested.append(draw(st.sampled_from(["b%d: permissions", "b%d: __typename"])) % index)
    document = "{ viewer { permissions %s } %s }" % (" ".join(nested), " ".join(roots))
    return document, count


@FUZZ
@given(generated=aliased_documents())
async def test_a_document_is_refused_by_the_alias_limit_exactly_when_it_has_more_than_fifteen(
    root, world, every_example, generated
):
    document, count = generated
    body = await send(root, world, document)
    if count > MAX_ALIASES:
        assert [e["message"] for e in body["errors"]] == [
            f"{count} aliases found. Allowed: {MAX_ALIASES}"
        ], body
    else:
        assert "errors" not in body, body


def token_count(document: str) -> int:
    """The tokens graphql's parser counts against its limit: comments too."""
    lexer = graphql.language.Lexer(graphql.Source(document))
    while lexer.advance().kind is not graphql.language.TokenKind.EOF:
        pass
    count, token = 0, lexer.token.prev
    while token is not None and token.kind is not graphql.language.TokenKind.SOF:
        count, token = count + 1, token.prev
    return count


@st.composite
def long_documents(draw: st.DrawFn) -> tuple[str, int]:
    """A valid document of about `tokens` tokens, around and beyond the limit: a few fields,
    padded with comments, which the parser counts too (a thousand repeated fields would cost
    graphql's OverlappingFieldsCanBeMerged rule seconds of validation for each example)."""
    wanted = draw(
        st.one_of(
            st.integers(min_value=MAX_TOKENS - 8, max_value=MAX_TOKENS + 8),
            st.integers(min_value=3, max_value=2 * MAX_TOKENS),
        )
    )
    fields = draw(
        st.lists(
            st.sampled_from(["__typename", "viewer { permissions }", "roles { key name }"]),
            min_size=1,
            max_size=20,
        )
    )
    body = " ".join(fields)
    padding = max(0, wanted - token_count("{ %s }" % body))
    document = "{ %s\n%s}" % (body, "# padding\n" * padding)
    return document, token_count(document)


@FUZZ
@given(generated=long_documents())
async def test_a_document_is_refused_by_the_token_limit_exactly_when_over_two_thousand_tokens(
    root, world, every_example, generated
):
    document, tokens = generated
    body = await send(root, world, document)
    refused = any(
        f"more than {MAX_TOKENS} tokens" in error["message"] for error in body.get("errors") or []
    )
    assert refused == (tokens > MAX_TOKENS), (tokens, body.get("errors"))


INTROSPECTION_LISTS = {
    "fields": "fields { name type { ofType { name } %s } }",
    "interfaces": "interfaces { name %s }",
    "possibleTypes": "possibleTypes { name %s }",
}
MAX_INTROSPECTION_LISTS = 2  # graphql's MaxIntrospectionDepthRule


@st.composite
def introspection_documents(draw: st.DrawFn) -> tuple[str, int]:
    """Introspection nests without end (the fields of the type of a field of ...), and the
    depth limiter does not count it: graphql's own rule bounds the lists nested in it."""
    lists = draw(st.lists(st.sampled_from(sorted(INTROSPECTION_LISTS)), min_size=1, max_size=6))
    inner = "name"
    for name in reversed(lists):
        inner = INTROSPECTION_LISTS[name] % inner
    type_name = draw(st.sampled_from(["Query", "User", "Error", "UserResult", "TokenFields"]))
    return '{ __type(name: "%s") { %s } }' % (type_name, inner), len(lists)


@FUZZ
@given(generated=introspection_documents())
async def test_introspection_is_refused_exactly_when_it_nests_more_than_two_lists(
    root, world, every_example, generated
):
    document, lists = generated
    body = await send(root, world, document)
    if lists > MAX_INTROSPECTION_LISTS:
        assert [e["message"] for e in body["errors"]] == ["Maximum introspection depth exceeded"]
    else:
        assert "errors" not in body, body
