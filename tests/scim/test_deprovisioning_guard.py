"""The mass-deactivation circuit breaker: the identity provider's deactivation or delete that
would take more than the threshold of an organization's people within the window is held for
review (503 with Retry-After, which the provider retries) instead of applied, and so is every
one after it until an admin confirms (applied as sent, in order) or rejects (applied never; held
again if sent again). A later change to a user supersedes what is held for them."""

from __future__ import annotations

import asyncio

import pytest

from domain import bus
from domain.commands import ProvisionUser, UserAttributes
from domain.models import AuditEvent, HeldChange, Organization, User
from tests.api.conftest import GraphQLClient, admin, root, super_admin_id
from tests.scim.conftest import PATCH_SCHEMA, assert_scim_error, okta_user

__all__ = ["admin", "root", "super_admin_id"]

GUARD = """mutation($percent: Int, $minimum: Int) {
  setDeprovisioningGuard(enabled: true, percent: $percent, minimum: $minimum, windowMinutes: 60) {
    __typename ... on OrganizationPayload { organization { deprovisioningGuard {
      enabled percent minimum windowMinutes trippedAt } } } ... on Error { message } } }"""
HELD = "{ heldChanges { userName kind status tokenName user { userName active } } }"
CONFIRM = "mutation { confirmHeldChanges { __typename ... on HeldChangesPayload { count } } }"
REJECT = "mutation { rejectHeldChanges { __typename ... on HeldChangesPayload { count } } }"
TRIPPED = "{ organization { deprovisioningGuard { trippedAt } } }"


def deactivation(active: bool = False) -> dict[str, object]:
    return {
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "replace", "value": {"active": active}}],
    }


async def people(operator, count: int) -> list[str]:
    """`count` active users of acme, in order; their ids."""
    ids = []
    for n in range(count):
        command = ProvisionUser(UserAttributes(user_name=f"person{n:03}@acme.test"))
        ids.append(str((await bus.handle(command, operator)).id))
    return ids


async def threshold(root: GraphQLClient, percent: int, minimum: int) -> None:
    data = await root(GUARD, percent=percent, minimum=minimum)
    assert data["setDeprovisioningGuard"]["__typename"] == "OrganizationPayload", data


async def deactivate(client, user_id: str) -> int:
    return (await client.patch(f"/Users/{user_id}", json=deactivation())).status_code


async def tripped(root: GraphQLClient) -> object:
    return (await root(TRIPPED))["organization"]["deprovisioningGuard"]["trippedAt"]


async def test_the_breaker_trips_exactly_at_its_share_of_the_people(root, client, operator):
    ids = await people(operator, 60)  # and root: 61 active
    await threshold(root, percent=10, minimum=5)  # held once more than 6.1 people would go

    statuses = [await deactivate(client, user_id) for user_id in ids[:8]]

    assert statuses == [200] * 6 + [503, 503]
    answer = await client.patch(f"/Users/{ids[6]}", json=deactivation())
    detail = assert_scim_error(answer, 503)
    assert answer.headers["Retry-After"] == "300"
    assert "held for review by the organization's admin" in detail
    assert await User.filter(active=False).count() == 6
    assert (await User.get(id=ids[6])).active
    assert await tripped(root) is not None
    held = (await root(HELD))["heldChanges"]
    assert [change["userName"] for change in held] == ["person006@acme.test", "person007@acme.test"]
    assert {change["status"] for change in held} == {"held"}
    assert held[0]["tokenName"].startswith("SCIM token 'Okta'")
    assert await AuditEvent.filter(action="user.deprovisioning_held").count() == 3


async def test_the_minimum_number_of_people_comes_first_in_a_small_organization(
    root, client, operator
):
    ids = await people(operator, 19)  # 20 active: 10% is 2 people, the minimum 5
    await threshold(root, percent=10, minimum=5)

    statuses = [await deactivate(client, user_id) for user_id in ids[:6]]

    assert statuses == [200, 200, 200, 200, 503, 503]


async def test_once_open_every_deactivation_and_delete_is_held_and_retries_hold_one_each(
    root, client, operator
):
    ids = await people(operator, 30)
    await threshold(root, percent=5, minimum=3)
    assert [await deactivate(client, user_id) for user_id in ids[:3]] == [200, 200, 503]

    deleted = await client.delete(f"/Users/{ids[10]}")
    retried = await client.patch(f"/Users/{ids[2]}", json=deactivation())  # the provider retries

    assert deleted.status_code == 503
    assert retried.status_code == 503
    assert await User.filter(id=ids[10]).exists()
    kinds = {change.user_name: change.kind for change in await HeldChange.all()}
    assert kinds == {"person002@acme.test": "deactivate", "person010@acme.test": "delete"}


async def test_confirming_applies_what_was_sent_in_order_and_starts_the_window_again(
    root, client, operator
):
    ids = await people(operator, 30)
    await threshold(root, percent=5, minimum=3)
    for user_id in ids[:3]:
        await deactivate(client, user_id)
    await client.delete(f"/Users/{ids[10]}")
    await client.put(f"/Users/{ids[11]}", json=okta_user("person011@acme.test", active=False))

    confirmed = await root(CONFIRM)

    assert confirmed["confirmHeldChanges"] == {"__typename": "HeldChangesPayload", "count": 3}
    assert not (await User.get(id=ids[2])).active
    assert not await User.filter(id=ids[10]).exists()
    assert not (await User.get(id=ids[11])).active
    assert await tripped(root) is None
    assert await HeldChange.all().count() == 0
    events = AuditEvent.filter(target_id__in=[ids[2], ids[10], ids[11]]).order_by("id")
    applied = [event for event in await events if "confirmed_by" in event.changes]
    assert {event.changes["confirmed_by"] for event in applied} == {"root@acme.test"}
    assert [event.target_id for event in applied] == [ids[2], ids[10], ids[11]]
    assert {event.actor_kind for event in applied} == {"scim_token"}
    assert await deactivate(client, ids[12]) == 200  # a new window: counted from the confirmation


async def test_rejecting_applies_nothing_and_the_same_change_sent_again_is_held_again(
    root, client, operator
):
    ids = await people(operator, 30)
    await threshold(root, percent=5, minimum=3)
    for user_id in ids[:4]:
        await deactivate(client, user_id)

    rejected = await root(REJECT)

    assert rejected["rejectHeldChanges"]["count"] == 2
    assert (await User.get(id=ids[2])).active
    assert (await User.get(id=ids[3])).active
    assert await tripped(root) is None
    held = (await root(HELD))["heldChanges"]
    assert {change["status"] for change in held} == {"rejected"}
    assert await deactivate(client, ids[2]) == 503  # the provider retries: held again
    assert (await User.get(id=ids[2])).active
    assert await tripped(root) is not None


async def test_a_later_change_to_the_user_supersedes_what_is_held_for_them(root, client, operator):
    ids = await people(operator, 30)
    await threshold(root, percent=5, minimum=3)
    for user_id in ids[:3]:
        await deactivate(client, user_id)
    assert await HeldChange.filter(user_id=ids[2]).exists()

    reactivated = await client.patch(f"/Users/{ids[2]}", json=deactivation(active=True))

    assert reactivated.status_code == 200, reactivated.text
    assert not await HeldChange.filter(user_id=ids[2]).exists()
    assert (await root(CONFIRM))["confirmHeldChanges"]["count"] == 0
    assert (await User.get(id=ids[2])).active


async def test_concurrent_deactivations_trip_it_exactly_at_the_threshold(root, client, operator):
    ids = await people(operator, 60)
    await threshold(root, percent=10, minimum=5)

    statuses = await asyncio.gather(*(deactivate(client, user_id) for user_id in ids[:20]))

    assert sorted(statuses) == [200] * 6 + [503] * 14
    assert await User.filter(active=False).count() == 6
    assert await HeldChange.all().count() == 14


async def test_off_it_holds_nothing(root, client, operator):
    ids = await people(operator, 20)
    data = await root("mutation { setDeprovisioningGuard(enabled: false) { __typename } }")
    assert data["setDeprovisioningGuard"]["__typename"] == "OrganizationPayload"

    statuses = [await deactivate(client, user_id) for user_id in ids]

    assert set(statuses) == {200}


async def test_an_admins_own_deactivations_are_never_held(root, client, operator):
    ids = await people(operator, 20)
    await threshold(root, percent=10, minimum=2)
    mutation = "mutation($id: ID!) { deactivateUser(id: $id) { __typename } }"

    results = [(await root(mutation, id=user_id))["deactivateUser"] for user_id in ids[:5]]

    assert {result["__typename"] for result in results} == {"UserPayload"}
    assert await tripped(root) is None


@pytest.mark.parametrize(
    ("given", "field"), [({"percent": 0}, "percent"), ({"minimum": 0}, "minimum")]
)
async def test_a_threshold_out_of_range_is_refused(root, given, field):
    data = await root(GUARD, **{"percent": None, "minimum": None, **given})

    result = data["setDeprovisioningGuard"]
    assert result["__typename"] == "ValidationError"
    assert result["message"].startswith(f"{field}: a whole number")


async def test_an_admin_without_the_permission_can_neither_confirm_nor_reject(admin):
    for mutation in (CONFIRM, REJECT):
        data = await admin(mutation)
        assert next(iter(data.values()))["__typename"] == "PermissionDeniedError"
    assert (await Organization.get(slug="acme")).deprovisioning_guard
