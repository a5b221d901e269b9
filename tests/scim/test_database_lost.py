"""A database that goes away during a SCIM write: the answer never says a change failed that
may have been applied. Lost before the commit, nothing was written: 503, retry. Lost while
committing, the change may stand: 503 all the same (the provider retries), saying so."""

from __future__ import annotations

from domain import audit, bus
from domain.models import Group, User
from scim.errors import COMMIT_UNCONFIRMED
from tests.lost_connections import committed_then_lost, connection_lost
from tests.scim.conftest import assert_scim_error, okta_user


async def test_a_create_whose_commit_answer_is_lost_says_it_may_have_been_applied(
    client, monkeypatch
):
    monkeypatch.setattr(bus, "in_transaction", committed_then_lost)
    response = await client.post("/Users", json=okta_user("lost@acme.test"))

    assert assert_scim_error(response, 503) == COMMIT_UNCONFIRMED
    assert response.headers["retry-after"].isdigit()
    assert await User.filter(user_name="lost@acme.test").exists()  # it did stand
    monkeypatch.undo()
    read = await client.get("/Users", params={"filter": 'userName eq "lost@acme.test"'})
    assert read.json()["totalResults"] == 1  # what the caller is told to do finds it


async def test_a_write_lost_before_its_commit_is_a_plain_retry_and_changes_nothing(
    client, monkeypatch
):
    monkeypatch.setattr(audit, "record", connection_lost)  # the transaction's last write
    response = await client.post("/Users", json=okta_user("never@acme.test"))

    assert assert_scim_error(response, 503) == "the database is unavailable; retry shortly"
    assert not await User.filter(user_name="never@acme.test").exists()


async def test_an_update_answers_from_what_it_read_before_the_commit(client, monkeypatch):
    created = (await client.post("/Users", json=okta_user("kept@acme.test"))).json()
    group = await client.post(
        "/Groups",
        json={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Engineering",
            "members": [{"value": created["id"]}],
        },
    )
    assert group.status_code == 201, group.text

    real_handle = bus.handle

    async def handle_then_lose_the_database(command, actor):  # type: ignore[no-untyped-def]
        result = await real_handle(command, actor)
        monkeypatch.setattr("domain.group_queries.with_groups", connection_lost)
        monkeypatch.setattr("scim.users.group_queries.with_groups", connection_lost)
        return result

    monkeypatch.setattr("scim.users.bus.handle", handle_then_lose_the_database)
    patch = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"displayName": "Kept Still"}}],
    }
    response = await client.patch(f"/Users/{created['id']}", json=patch)

    assert response.status_code == 200, response.text
    assert response.json()["displayName"] == "Kept Still"
    assert [g["display"] for g in response.json()["groups"]] == ["Engineering"]


async def test_a_group_write_whose_answer_cannot_be_read_says_it_may_have_been_applied(
    client, monkeypatch
):
    monkeypatch.setattr("scim.groups.group_queries.get_group", connection_lost)
    response = await client.post(
        "/Groups",
        json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Ops"},
    )

    assert assert_scim_error(response, 503) == COMMIT_UNCONFIRMED
    assert await Group.filter(display_name="Ops").exists()
