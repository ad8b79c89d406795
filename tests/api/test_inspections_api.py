"""Quality inspection through the API (seeds 003, 004): a supervisor scores their team's sample, once."""

import asyncpg
import httpx

from tests.api.conftest import Keys, headers


async def test_a_supervisor_sees_and_scores_their_teams_sample_once(
    api: httpx.AsyncClient, keys: Keys, pool: asyncpg.Pool
) -> None:
    ids = {}
    for ticket_no, team in (("202612-000001", "frontline"), ("202612-000002", "tech")):
        ids[team] = await pool.fetchval(
            "INSERT INTO inspections (week, ticket_no, agent, team)"
            " VALUES ('2026-W49', $1, 'frontline-1', $2) RETURNING id",
            ticket_no,
            team,
        )
    listed = await api.get("/inspections", headers=headers(keys.supervisor))
    assert [i["ticket_no"] for i in listed.json()] == ["202612-000001"]
    assert (await api.get("/inspections", headers=headers(keys.agent))).status_code == 403

    rubric = {
        "scripts": 5,
        "accuracy": 4,
        "timeliness": 3,
        "attitude": 5,
        "comment": "回访及时, 电话 13812345678",
    }
    url = f"/inspections/{ids['frontline']}/score"
    bad = await api.post(url, json={**rubric, "accuracy": 6}, headers=headers(keys.supervisor))
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "accuracy"
    r = await api.post(url, json=rubric, headers=headers(keys.supervisor))
    assert r.status_code == 200, r.text
    scored = r.json()
    assert (scored["scripts"], scored["accuracy"], scored["scored_by"]) == (5, 4, "frontline-sup")
    assert scored["comment"] == "回访及时, 电话 138****5678"
    assert (await api.post(url, json=rubric, headers=headers(keys.supervisor))).status_code == 409
    other = await api.post(f"/inspections/{ids['tech']}/score", json=rubric, headers=headers(keys.supervisor))
    assert other.status_code == 403
    assert (await api.get("/inspections", headers=headers(keys.supervisor))).json() == []
    assert (
        await api.post("/inspections/999999/score", json=rubric, headers=headers(keys.admin))
    ).status_code == 404
