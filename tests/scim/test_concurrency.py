"""Identity providers send many requests at once: nothing is lost, duplicated or overwritten."""

from __future__ import annotations

import asyncio
from collections import Counter

from domain.models import AuditEvent, User
from tests.scim.conftest import PATCH_SCHEMA, okta_user


def patch(*operations: dict[str, object]) -> dict[str, object]:
    return {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}


async def test_fifty_concurrent_creates_of_one_user_name_make_one_user(client):
    names = [
        "Jane@Okta.local",
        "jane@okta.local",
        "JANE@OKTA.LOCAL",
        "jAnE@okta.LOCAL",
        "jane@Okta.local",
    ]
    responses = await asyncio.gather(
        *(client.post("/Users", json=okta_user(names[i % len(names)])) for i in range(50))
    )

    assert Counter(r.status_code for r in responses) == {201: 1, 409: 49}
    assert {r.json().get("scimType") for r in responses if r.status_code == 409} == {"uniqueness"}
    assert await User.all().count() == 1


async def test_fifty_concurrent_patches_of_one_version_let_exactly_one_win(client):
    created = (await client.post("/Users", json=okta_user("jane@okta.local"))).json()
    path = f"/Users/{created['id']}"

    responses = await asyncio.gather(
        *(
            client.patch(
                path,
                json=patch({"op": "replace", "path": "title", "value": f"title {i}"}),
                headers={"If-Match": 'W/"1"'},
            )
            for i in range(50)
        )
    )

    assert Counter(r.status_code for r in responses) == {200: 1, 412: 49}
    (winner,) = [r.json() for r in responses if r.status_code == 200]
    stored = await User.get(id=created["id"])
    assert (stored.version, stored.title) == (2, winner["title"])
    assert await AuditEvent.filter(target_id=created["id"], action="user.updated").count() == 1


async def test_concurrent_patches_without_if_match_all_apply(client):
    """Each PATCH applies to the state it meets: none is lost, the version counts them."""
    created = (await client.post("/Users", json=okta_user("jane@okta.local"))).json()
    path = f"/Users/{created['id']}"

    responses = await asyncio.gather(
        *(
            client.patch(path, json=patch({"op": "add", "path": "title", "value": f"title {i}"}))
            for i in range(20)
        )
    )

    assert Counter(r.status_code for r in responses) == {200: 20}
    stored = await User.get(id=created["id"])
    assert stored.version == 1 + 20
    assert stored.title in {r.json()["title"] for r in responses}
