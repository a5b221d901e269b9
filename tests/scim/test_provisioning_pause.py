"""Pausing provisioning: while an organization's admin has paused it, every write its
identity provider sends is answered 503 with Retry-After (Okta and Entra ID send it again
later) and changes nothing; reads still answer, so Okta's Test API Credentials and imports
work. Once resumed, the provider's retries go through and nothing is lost."""

from __future__ import annotations

import asyncio

import pytest

from domain import provisioning
from domain.clock import utcnow
from domain.models import AuditEvent, Group, Organization, User
from tests.api.conftest import GraphQLClient, admin, root, super_admin_id
from tests.scim.conftest import PATCH_SCHEMA, assert_scim_error, okta_user

GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"

__all__ = ["admin", "root", "super_admin_id"]  # the settings page's admins, as fixtures

PAUSE = """mutation { pauseProvisioning { __typename
  ... on OrganizationPayload { organization { provisioningPausedAt provisioningPausedBy } }
  ... on Error { message } } }"""
RESUME = """mutation { resumeProvisioning { __typename
  ... on OrganizationPayload { organization { provisioningPausedAt provisioningPausedBy } }
  ... on Error { message } } }"""


async def pause(root: GraphQLClient) -> dict[str, object]:
    data = await root(PAUSE)
    assert data["pauseProvisioning"]["__typename"] == "OrganizationPayload", data
    return dict(data["pauseProvisioning"]["organization"])


async def resume(root: GraphQLClient) -> None:
    data = await root(RESUME)
    assert data["resumeProvisioning"]["__typename"] == "OrganizationPayload", data


def deactivation() -> dict[str, object]:
    return {
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "replace", "value": {"active": False}}],
    }


async def test_pausing_shows_since_when_and_by_whom_and_is_audited(root):
    paused = await pause(root)

    assert paused["provisioningPausedAt"] is not None
    assert paused["provisioningPausedBy"] == "root@acme.test"
    await resume(root)
    actions = [event.action for event in await AuditEvent.all().order_by("id")]
    assert actions[-2:] == ["organization.provisioning_paused", "organization.provisioning_resumed"]


async def test_every_write_the_provider_sends_waits_while_paused(root, client):
    jane = (await client.post("/Users", json=okta_user("jane@acme.test"))).json()
    group = (
        await client.post("/Groups", json={"schemas": [GROUP_SCHEMA], "displayName": "Sales"})
    ).json()
    await pause(root)
    writes = [
        client.post("/Users", json=okta_user("bob@acme.test")),
        client.put(f"/Users/{jane['id']}", json=okta_user("jane@acme.test", active=False)),
        client.patch(f"/Users/{jane['id']}", json=deactivation()),
        client.delete(f"/Users/{jane['id']}"),
        client.post("/Groups", json={"schemas": [GROUP_SCHEMA], "displayName": "Ops"}),
        client.put(
            f"/Groups/{group['id']}", json={"schemas": [GROUP_SCHEMA], "displayName": "Sold"}
        ),
        client.patch(
            f"/Groups/{group['id']}",
            json={
                "schemas": [PATCH_SCHEMA],
                "Operations": [{"op": "add", "path": "members", "value": [{"value": jane["id"]}]}],
            },
        ),
        client.delete(f"/Groups/{group['id']}"),
    ]

    for write in writes:
        answer = await write
        detail = assert_scim_error(answer, 503)
        assert answer.headers["Retry-After"] == "120"
        assert "provisioning is paused by the organization's admin" in detail
        assert "root@acme.test" in detail
    assert not await User.filter(user_name="bob@acme.test").exists()
    assert (await User.get(user_name="jane@acme.test")).active
    assert [group.display_name for group in await Group.all()] == ["Sales"]


async def test_reads_still_answer_while_paused(root, client):
    await client.post("/Users", json=okta_user("jane@acme.test"))
    await pause(root)

    for path in ("/Users", '/Users?filter=userName eq "jane@acme.test"', "/Groups", "/Schemas"):
        assert (await client.get(path)).status_code == 200, path
    assert (await client.get("/ServiceProviderConfig")).status_code == 200


async def test_a_refused_write_goes_through_when_the_provider_retries_after_resume(root, client):
    await pause(root)
    refused = await client.post("/Users", json=okta_user("jane@acme.test"))
    assert refused.status_code == 503

    await resume(root)
    retried = await client.post("/Users", json=okta_user("jane@acme.test"))

    assert retried.status_code == 201, retried.text
    assert await User.filter(user_name="jane@acme.test").count() == 1


async def test_pause_and_resume_during_an_okta_style_load_lose_nothing(root, client):
    """Okta creates users on several connections at once; halfway the admin pauses, then
    resumes. Every create either went through, or was refused 503 and went through when
    retried after the resume; none was applied while paused, none twice."""
    names = [f"user{n:03}@acme.test" for n in range(60)]
    answers: dict[str, int] = {}
    applied_while_paused: list[str] = []
    paused, under_way = asyncio.Event(), asyncio.Event()

    async def okta(batch: list[str]) -> None:
        for name in batch:
            was_paused = paused.is_set()
            answer = await client.post("/Users", json=okta_user(name))
            answers[name] = answer.status_code
            if len(answers) >= 20:
                under_way.set()
            if was_paused and answer.status_code == 201:
                applied_while_paused.append(name)

    async def admin() -> None:
        await under_way.wait()
        await pause(root)
        paused.set()

    await asyncio.gather(admin(), *(okta(names[start::4]) for start in range(4)))
    refused = sorted(name for name, status in answers.items() if status == 503)
    assert refused, "the pause came before the load ended"
    assert not applied_while_paused
    assert set(answers.values()) <= {201, 503}
    await resume(root)
    for name in refused:  # the provider's retries
        assert (await client.post("/Users", json=okta_user(name))).status_code == 201

    created = await User.filter(user_name__startswith="user").values_list("user_name", flat=True)
    assert sorted(created) == names


async def test_another_process_s_pause_is_honoured_within_the_second(client, monkeypatch):
    monkeypatch.setattr(provisioning, "SECONDS", 0.05)
    assert (await client.post("/Users", json=okta_user("jane@acme.test"))).status_code == 201
    await Organization.filter(slug="acme").update(
        provisioning_paused_at=utcnow(), provisioning_paused_by="elsewhere"
    )
    await asyncio.sleep(0.1)

    answer = await client.post("/Users", json=okta_user("bob@acme.test"))

    assert "elsewhere" in assert_scim_error(answer, 503)


async def test_an_admin_without_the_permission_cannot_pause(admin):
    data = await admin(PAUSE)

    assert data["pauseProvisioning"]["__typename"] == "PermissionDeniedError", data
    assert await Organization.filter(provisioning_paused_at__not_isnull=True).count() == 0


@pytest.mark.parametrize("twice", [PAUSE, RESUME])
async def test_pausing_or_resuming_twice_changes_nothing_more(root, twice):
    await pause(root)
    first = await Organization.get(slug="acme")
    await root(twice)
    await root(twice)

    after = await Organization.get(slug="acme")
    expected = first.provisioning_paused_at if twice == PAUSE else None
    assert after.provisioning_paused_at == expected
