"""Okta's import walks every user page by page with startIndex: deep pages continue where the
previous page ended (by keyset, not by a growing OFFSET) and reuse the walk's recent count."""

from __future__ import annotations

import time

from domain import walks
from domain.walks import TOTAL_SECONDS, Walks
from tests.scim.conftest import okta_user


async def seed(client, count: int) -> list[str]:
    ids = []
    for index in range(count):
        response = await client.post("/Users", json=okta_user(f"user{index:02d}@okta.local"))
        ids.append(response.json()["id"])
    return ids


async def page(client, start: int, count: int) -> dict:
    response = await client.get(f"/Users?startIndex={start}&count={count}")
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_walk_by_start_index_sees_every_user_once_in_order(client):
    ids = await seed(client, 10)

    seen, start = [], 1
    while start <= 10:
        body = await page(client, start, 3)
        assert (body["totalResults"], body["startIndex"]) == (10, start)
        seen += [resource["id"] for resource in body["Resources"]]
        start += 3

    assert seen == ids


async def test_a_user_deleted_behind_the_walk_does_not_make_it_skip_one(client):
    ids = await seed(client, 9)
    first = await page(client, 1, 3)

    await client.delete(f"/Users/{ids[0]}")
    rest = [r["id"] for start in (4, 7) for r in (await page(client, start, 3))["Resources"]]

    assert [r["id"] for r in first["Resources"]] + rest == ids  # OFFSET would have lost ids[3]


async def test_a_page_nobody_walked_to_is_read_by_offset(client):
    ids = await seed(client, 7)

    body = await page(client, 5, 2)

    assert [r["id"] for r in body["Resources"]] == ids[4:6]
    assert body["totalResults"] == 7


async def test_a_walk_reports_its_recent_count_then_counts_again(client, monkeypatch):
    await seed(client, 6)
    assert (await page(client, 1, 2))["totalResults"] == 6
    await client.post("/Users", json=okta_user("late@okta.local"))

    during = (await page(client, 3, 2))["totalResults"]
    later = time.monotonic() + TOTAL_SECONDS + 1
    monkeypatch.setattr(walks.time, "monotonic", lambda: later)
    after = (await page(client, 3, 2))["totalResults"]

    assert (during, after) == (6, 7)


async def test_a_walk_never_reports_fewer_users_than_it_has_seen(client):
    await seed(client, 4)
    await page(client, 1, 2)
    for index in range(3):
        await client.post("/Users", json=okta_user(f"late{index}@okta.local"))

    body = await page(client, 3, 2)

    assert body["totalResults"] >= 3 + len(body["Resources"])


async def test_walks_of_two_organizations_do_not_mix(client, other_client):
    ours = await seed(client, 4)
    await page(client, 1, 2)

    theirs = await other_client.get("/Users?startIndex=3&count=2")

    assert theirs.json()["totalResults"] == 0
    assert [r["id"] for r in (await page(client, 3, 2))["Resources"]] == ours[2:]


async def test_the_memory_of_walks_is_bounded():
    remembered = Walks()
    listing = (1, "", "created_at", False)
    for offset in range(1, 10_000):
        await remembered.page_ended(listing, offset, f"cursor{offset}")

    assert await remembered.cursor_before(listing, 1) is None  # the oldest was dropped
    assert await remembered.cursor_before(listing, 9_999) == "cursor9999"
    assert len(remembered._entries) <= 4096
