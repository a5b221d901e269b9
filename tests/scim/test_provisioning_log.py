"""The provisioning request log: each SCIM request an identity provider sends is kept for its
organization's admins (when, which token, what was asked and answered, how long it took),
with passwords and the configured attributes redacted from every stored body and filter;
written off the request's path, never holding a request up, and pruned after the retention
period."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from domain import bus, provisioning_log
from domain.clock import utcnow
from domain.commands import IssueScimToken
from domain.models import ProvisioningRequest
from scim import request_log
from scim.redaction import REDACTED, redaction_set
from scim.request_log import Noted, Recorder
from tests.api.conftest import BASE, GraphQLClient, admin, basic, root, super_admin_id
from tests.conftest import running_app
from tests.scim.conftest import PATCH_SCHEMA, SCIM_JSON, okta_user

__all__ = ["admin", "basic", "root", "super_admin_id"]

PASSWORD = "Sup3r-secret-pa55"
PHONE = "+1 555 0100 2345"


@pytest.fixture
async def logged(db, database_url, tmp_path) -> AsyncIterator[httpx.ASGITransport]:
    """The app with its request log on, phone numbers configured as redacted."""
    async with running_app(
        database_url,
        tmp_path / "data",
        ROSTER_REQUEST_LOG="on",
        ROSTER_REQUEST_LOG_REDACT="phoneNumbers, addresses",
    ) as transport:
        yield transport


@pytest.fixture
async def secret(operator) -> str:
    return str((await bus.handle(IssueScimToken(name="Okta"), operator)).secret)


@pytest.fixture
async def okta(logged, secret) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": SCIM_JSON}
    async with httpx.AsyncClient(
        transport=logged, base_url=f"{BASE}/scim/v2", headers=headers
    ) as client:
        yield client


@pytest.fixture
async def reader(logged, super_admin_id) -> AsyncIterator[GraphQLClient]:
    async with httpx.AsyncClient(transport=logged, base_url=BASE) as http:
        client = GraphQLClient(http)
        assert (await client.login("root@acme.test"))["__typename"] == "LoginPayload"
        yield client


async def entries(count: int) -> list[ProvisioningRequest]:
    """The log once it holds `count` entries (it is written in the background, a batch a few
    seconds after its first request), oldest first."""
    deadline = time.monotonic() + 4 * request_log.GATHER_SECONDS + 5
    while time.monotonic() < deadline:
        found = await ProvisioningRequest.all().order_by("id")
        if len(found) >= count:
            return found
        await asyncio.sleep(0.02)
    raise AssertionError(f"the log holds {len(found)} entries, not {count}")


def stored_text(entry: ProvisioningRequest) -> str:
    return " ".join(
        str(value)
        for value in (
            entry.token_name,
            entry.path,
            entry.query,
            entry.request_body,
            entry.response_body,
        )
    )


async def test_each_request_is_logged_with_its_token_status_duration_and_user(okta):
    created = await okta.post("/Users", json=okta_user("jane@acme.test"))
    jane = created.json()["id"]
    await okta.get(f"/Users/{jane}")
    await okta.get("/Users/00000000-0000-0000-0000-000000000000")

    made, read, missing = await entries(3)

    assert (made.method, made.path, made.status) == ("POST", "/Users", 201)
    assert str(made.user_id) == jane
    assert made.token_name.startswith("SCIM token 'Okta'")
    assert made.duration_ms > 0
    assert json.loads(made.request_body or "")["userName"] == "jane@acme.test"
    assert json.loads(made.response_body or "")["id"] == jane
    assert (read.method, read.path, read.status, str(read.user_id)) == (
        "GET",
        f"/Users/{jane}",
        200,
        jane,
    )
    assert read.request_body is None
    assert missing.status == 404


async def test_no_token_password_or_configured_attribute_is_stored(okta, secret):
    body = okta_user(
        "jane@acme.test",
        password=PASSWORD,
        phoneNumbers=[{"value": PHONE, "type": "work"}],
        addresses=[{"streetAddress": "1 Secret Lane", "type": "work"}],
    )
    jane = (await okta.post("/Users", json=body)).json()["id"]
    okta_password = {
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "replace", "path": "password", "value": PASSWORD}],
    }
    entra_pathless = {
        "schemas": [PATCH_SCHEMA],
        "Operations": [
            {
                "op": "Replace",
                "value": {"password": PASSWORD, "displayName": "Jane"},
            }
        ],
    }
    entra_path = {
        "schemas": [PATCH_SCHEMA],
        "Operations": [
            {"op": "Add", "path": 'phoneNumbers[type eq "mobile"].value', "value": PHONE}
        ],
    }
    for patch in (okta_password, entra_pathless, entra_path):
        answer = await okta.patch(f"/Users/{jane}", json=patch)
        assert answer.status_code == 200, answer.text
    await okta.put(f"/Users/{jane}", json=body)
    await okta.get("/Users", params={"filter": f'phoneNumbers eq "{PHONE}"'})

    logged = await entries(6)

    for entry in logged:
        text = stored_text(entry)
        assert secret not in text
        assert secret[-20:] not in text  # (its prefix names the token, as the page shows it)
        assert PASSWORD not in text
        assert PHONE not in text
        assert PHONE.replace(" ", "+") not in text
        assert "1 Secret Lane" not in text
    first = json.loads(logged[0].request_body or "")
    assert first["password"] == REDACTED
    assert first["phoneNumbers"] == REDACTED
    assert first["userName"] == "jane@acme.test"  # what is not configured is kept
    assert json.loads(logged[1].request_body or "")["Operations"][0]["value"] == REDACTED
    assert REDACTED in logged[-1].query


async def test_a_body_that_is_not_json_is_not_kept(okta):
    broken = b'{"userName": "x", "password": "' + PASSWORD.encode()
    await okta.post("/Users", content=broken)

    (entry,) = await entries(1)

    assert entry.status == 400
    assert entry.request_body == f"[not JSON: {len(broken)} bytes]"


async def test_a_body_longer_than_the_limit_is_not_kept(okta, monkeypatch):
    monkeypatch.setattr(request_log, "MAX_BODY_BYTES", 100)
    await okta.post("/Users", json=okta_user("jane@acme.test"))

    (entry,) = await entries(1)

    assert entry.request_body is not None
    assert entry.request_body.endswith("longer than 100 bytes: not kept]")


async def test_a_request_without_a_token_belongs_to_no_organization_and_is_not_logged(logged, okta):
    async with httpx.AsyncClient(transport=logged, base_url=f"{BASE}/scim/v2") as anonymous:
        assert (await anonymous.get("/Users")).status_code == 401
    await okta.get("/Users")

    (entry,) = await entries(1)
    assert entry.status == 200


async def test_admins_read_the_log_filtered_by_user_status_method_and_time(okta, reader):
    jane = (await okta.post("/Users", json=okta_user("jane@acme.test"))).json()["id"]
    await okta.post("/Users", json=okta_user("jane@acme.test"))  # 409
    await okta.get(f"/Users/{jane}")
    await okta.get("/Groups")
    await entries(4)
    query = """query($userId: ID, $failed: Boolean, $method: String, $since: DateTime) {
      provisioningRequests(userId: $userId, failed: $failed, method: $method, since: $since) {
        totalCount edges { node { method path status tokenName user { userName } } } } }"""

    everything = (await reader(query))["provisioningRequests"]
    hers = (await reader(query, userId=jane))["provisioningRequests"]
    failed = (await reader(query, failed=True))["provisioningRequests"]
    gets = (await reader(query, method="get"))["provisioningRequests"]
    later = await reader(query, since=(utcnow() + timedelta(hours=1)).isoformat())

    assert everything["totalCount"] == 4
    assert everything["edges"][0]["node"]["path"] == "/Groups"  # newest first
    assert hers["totalCount"] == 2
    assert hers["edges"][0]["node"]["user"] == {"userName": "jane@acme.test"}
    assert [edge["node"]["status"] for edge in failed["edges"]] == [409]
    assert gets["totalCount"] == 2
    assert later["provisioningRequests"]["totalCount"] == 0


async def test_an_activity_entry_names_the_request_it_came_from_even_when_it_failed(okta, reader):
    created = await okta.post(
        "/Users", json=okta_user("jane@acme.test"), headers={"X-Request-ID": "okta-7f3a"}
    )
    refused = await okta.post(  # no X-Request-ID: one of Roster's own
        "/Users", json=okta_user("john@acme.test", permissionsRole="no-such-role")
    )
    await entries(2)
    events = """{ auditEvents { edges { node { action requestId actor { kind } } } } }"""
    log = """query($requestId: String) { provisioningRequests(requestId: $requestId) {
      totalCount edges { node { status requestId } } } }"""

    failure, provisioned = [
        {"action": node["action"], "requestId": node["requestId"]}
        for node in (edge["node"] for edge in (await reader(events))["auditEvents"]["edges"])
        if node["actor"]["kind"] == "scim_token"
    ]
    own_id = refused.headers["X-Request-ID"]
    found_refused = (await reader(log, requestId=failure["requestId"]))["provisioningRequests"]
    found_created = (await reader(log, requestId="okta-7f3a"))["provisioningRequests"]

    assert created.headers["X-Request-ID"] == "okta-7f3a"
    assert provisioned == {"action": "user.provisioned", "requestId": "okta-7f3a"}
    assert failure == {"action": "user.provision_failed", "requestId": own_id}
    assert found_refused["edges"] == [{"node": {"status": 400, "requestId": own_id}}]
    assert found_created["edges"] == [{"node": {"status": 201, "requestId": "okta-7f3a"}}]


async def test_an_unknown_method_is_a_clear_error(reader):
    errors = await reader.errors('{ provisioningRequests(method: "BREW") { totalCount } }')

    assert "method: one of GET, POST, PUT, PATCH, DELETE" in errors[0]["message"]


async def test_a_user_without_the_activity_log_cannot_read_it(basic):
    errors = await basic.errors("{ provisioningRequests { totalCount } }")

    assert errors[0]["extensions"]["code"] == "FORBIDDEN"


async def test_entries_older_than_the_retention_period_are_pruned_in_batches(
    organization, monkeypatch
):
    monkeypatch.setattr(provisioning_log, "PRUNE_BATCH", 3)
    now = utcnow()
    rows = [
        ProvisioningRequest(
            organization_id=organization.id,
            at=now - timedelta(days=age),
            token_name="Okta",
            method="GET",
            path="/Users",
            status=200,
            duration_ms=1.0,
        )
        for age in (45, 40, 35, 31, 31, 29, 1, 0)
    ]
    await ProvisioningRequest.bulk_create(rows)
    recorder = Recorder(redaction_set(()), retention_days=30)

    pruned = await recorder.prune()

    assert pruned == 5
    kept = await ProvisioningRequest.all().values_list("at", flat=True)
    assert len(kept) == 3
    assert all(now - at < timedelta(days=30) for at in kept)


def listed(organization_id: int) -> Noted:
    """A request for the list of users, as the SCIM door notes it."""
    return Noted(
        organization_id,
        None,
        "Okta",
        time.time(),
        "GET",
        "/Users",
        b"",
        200,
        0.01,
        None,
        0,
        b"{}",
        2,
    )


async def test_a_full_queue_drops_and_counts_entries_and_never_waits(monkeypatch):
    monkeypatch.setattr(request_log, "QUEUE_SIZE", 2)
    dropped: list[int] = []
    recorder = Recorder(redaction_set(()), 30, on_dropped=lambda: dropped.append(1))

    for _ in range(5):
        recorder.note(listed(1))  # not awaited: noting never blocks

    assert recorder.queue.qsize() == 2
    assert recorder.dropped == 3
    assert len(dropped) == 3


async def test_stopping_writes_what_is_waiting(organization):
    recorder = Recorder(redaction_set(()), 30)
    await recorder.start()
    for _ in range(3):
        recorder.note(listed(organization.id))

    await recorder.stop()

    assert await ProvisioningRequest.all().count() == 3


async def test_stopping_writes_the_batch_being_gathered_without_waiting_for_more(
    organization, monkeypatch
):
    monkeypatch.setattr(request_log, "GATHER_SECONDS", 3600.0)
    recorder = Recorder(redaction_set(()), 30)
    await recorder.start()
    recorder.note(listed(organization.id))
    await asyncio.sleep(0.05)  # taken from the queue: its batch is being gathered

    await asyncio.wait_for(recorder.stop(), timeout=request_log.STOP_SECONDS)

    assert await ProvisioningRequest.all().count() == 1


async def test_a_password_spelled_with_json_escapes_is_redacted_too(okta):
    escaped = b'{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": '
    escaped += b'"jane@acme.test", "\\u0070assword": "' + PASSWORD.encode() + b'"}'
    await okta.post("/Users", content=escaped)

    (entry,) = await entries(1)

    assert PASSWORD not in stored_text(entry)
    assert json.loads(entry.request_body or "")["password"] == REDACTED


ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
SET_REDACTION = """mutation($attributes: [String!]!) {
  setRequestLogRedaction(attributes: $attributes) {
    ... on OrganizationPayload { organization { requestLogRedaction {
      always installation organization } } }
    ... on Error { message }
    ... on ValidationError { field } } }"""


async def test_an_admin_keeps_attributes_of_their_choice_out_of_the_log_from_then_on(okta, reader):
    await okta.post("/Users", json=okta_user("before@acme.test", title="Chief Before"))
    await entries(1)

    answer = (await reader(SET_REDACTION, attributes=["title", f"{ENTERPRISE}:employeeNumber"]))[
        "setRequestLogRedaction"
    ]
    await okta.post(
        "/Users",
        json=okta_user(
            "after@acme.test", title="Chief After", **{ENTERPRISE: {"employeeNumber": "E-4711"}}
        ),
    )
    before, after = await entries(2)

    assert answer["organization"]["requestLogRedaction"] == {
        "always": ["password"],
        "installation": ["phoneNumbers", "addresses"],
        "organization": ["title", f"{ENTERPRISE}:employeeNumber"],
    }
    assert "Chief Before" in stored_text(before)  # what was logged before stays as it was
    kept = json.loads(after.request_body or "")
    assert kept["title"] == REDACTED
    assert kept[ENTERPRISE]["employeeNumber"] == REDACTED
    assert "Chief After" not in stored_text(after)
    assert "E-4711" not in stored_text(after)
    assert kept["userName"] == "after@acme.test"  # the rest is kept


async def test_the_organizations_redaction_is_audited_and_replaced_whole(reader):
    await reader(SET_REDACTION, attributes=["title", " Title ", "nickName", ""])
    answer = await reader(SET_REDACTION, attributes=["nickName"])
    events = await reader(
        '{ auditEvents(action: "organization.request_log_redaction_set") '
        "{ edges { node { changes } } } }"
    )

    assert answer["setRequestLogRedaction"]["organization"]["requestLogRedaction"][
        "organization"
    ] == ["nickName"]
    newest, first = [edge["node"]["changes"] for edge in events["auditEvents"]["edges"]]
    assert first == {"request_log_redacted": {"before": [], "after": ["title", "nickName"]}}
    assert newest == {
        "request_log_redacted": {"before": ["title", "nickName"], "after": ["nickName"]}
    }


@pytest.mark.parametrize(
    ("attributes", "reason"),
    [
        (["phone numbers"], "SCIM attribute names"),
        (['title"]'], "SCIM attribute names"),
        ([f"attribute{n}" for n in range(51)], "at most 50 attribute names"),
    ],
)
async def test_a_redaction_that_names_no_attribute_is_refused(reader, attributes, reason):
    answer = (await reader(SET_REDACTION, attributes=attributes))["setRequestLogRedaction"]

    assert answer["field"] == "attributes"
    assert reason in answer["message"]


async def test_only_who_manages_provisioning_names_what_the_log_keeps_out(basic):
    answer = await basic(
        'mutation { setRequestLogRedaction(attributes: ["title"]) { __typename } }'
    )

    assert answer["setRequestLogRedaction"]["__typename"] == "PermissionDeniedError"
