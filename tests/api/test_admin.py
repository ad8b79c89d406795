"""Admin endpoints (teams, members, API keys) and `ticketflow create-api-key`."""

import asyncio

import asyncpg
import httpx
import pytest
from typer.testing import CliRunner

from cli.main import app as cli
from infra.settings import get_settings
from store.api_keys import hash_key, lookup_api_key
from tests.api.conftest import Keys, headers


async def test_teams_and_members(api: httpx.AsyncClient, keys: Keys) -> None:
    admin = headers(keys.admin)
    team = {"id": "vip-desk", "name": "VIP desk", "department": "service"}
    assert (await api.put("/admin/teams", json=team, headers=admin)).json() == team
    assert team in (await api.get("/admin/teams", headers=admin)).json()["items"]
    member = {"id": "vip-1", "name": "王五", "role": "agent", "team_id": "vip-desk", "capacity": 3}
    r = await api.put("/admin/members", json=member, headers=admin)
    assert r.status_code == 200 and r.json()["on_duty"] is True
    off = await api.put("/admin/members", json={**member, "on_duty": False}, headers=admin)
    assert off.json()["on_duty"] is False
    assert (await api.get("/admin/members/vip-1", headers=admin)).json()["capacity"] == 3
    listed = (await api.get("/admin/members?team=vip-desk", headers=admin)).json()["items"]
    assert [m["id"] for m in listed] == ["vip-1"]
    assert (await api.get("/admin/members/nobody", headers=admin)).status_code == 404
    orphan = await api.put("/admin/members", json={**member, "team_id": "no-such-team"}, headers=admin)
    assert orphan.status_code == 404 and orphan.json()["error"]["field"] == "team_id"
    bad_role = await api.put("/admin/members", json={**member, "role": "boss"}, headers=admin)
    assert bad_role.status_code == 422 and bad_role.json()["error"]["field"] == "role"
    assert (await api.get("/admin/teams", headers=headers(keys.supervisor))).status_code == 403


async def test_api_keys_are_shown_once_stored_hashed_and_revocable(
    api: httpx.AsyncClient, keys: Keys, pool: asyncpg.Pool
) -> None:
    admin = headers(keys.admin)
    r = await api.post("/admin/api-keys", json={"role": "agent", "member_id": "frontline-2"}, headers=admin)
    assert r.status_code == 201, r.text
    issued = r.json()
    raw = issued["key"]
    assert await pool.fetchval("SELECT count(*) FROM api_keys WHERE key_hash = $1", hash_key(raw)) == 1
    assert await pool.fetchval("SELECT count(*) FROM api_keys WHERE key_hash = $1", raw) == 0
    listed = await api.get("/admin/api-keys", headers=admin)
    assert raw not in listed.text and issued["record"]["id"] in [k["id"] for k in listed.json()["items"]]
    assert (await api.get("/tickets", headers=headers(raw))).status_code == 200
    revoked = await api.delete(f"/admin/api-keys/{issued['record']['id']}", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert (await api.get("/tickets", headers=headers(raw))).status_code == 401
    assert (await api.delete("/admin/api-keys/999999", headers=admin)).status_code == 404

    no_member = await api.post("/admin/api-keys", json={"role": "supervisor"}, headers=admin)
    assert no_member.status_code == 422 and no_member.json()["error"]["field"] == "member_id"
    ghost = await api.post("/admin/api-keys", json={"role": "agent", "member_id": "ghost"}, headers=admin)
    assert ghost.status_code == 404 and ghost.json()["error"]["field"] == "member_id"


async def test_cli_create_api_key_prints_a_working_key_once(
    pool: asyncpg.Pool, database: str, monkeypatch: pytest.MonkeyPatch, keys: Keys
) -> None:
    monkeypatch.setenv("TICKETFLOW_DATABASE_URL", database)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        args = ["create-api-key", "--role", "integrator", "--channel", "chat", "--label", "chat gateway"]
        result = await asyncio.to_thread(runner.invoke, cli, args)
        assert result.exit_code == 0, result.output
        raw = result.stdout.strip().splitlines()[-1]
        found = await lookup_api_key(pool, raw)
        assert found is not None and found.role == "integrator" and found.channel == "chat"
        refused = await asyncio.to_thread(runner.invoke, cli, ["create-api-key", "--role", "agent"])
        assert refused.exit_code == 2
    finally:
        get_settings.cache_clear()


async def test_a_member_is_reached_only_at_addresses_a_notice_can_be_delivered_to(
    api: httpx.AsyncClient, keys: Keys
) -> None:
    """`make fuzz` stored a member whose webhook was '0000r00000n…': every notice to them then failed for
    good. A webhook is an http(s) URL naming a host and an e-mail an address, or the write is a 422."""
    admin = headers(keys.admin)
    member = {"id": "reach-1", "name": "赵六", "role": "agent", "team_id": "frontline"}
    for field, bad in (
        ("webhook_url", "0000r00000n000070000J000VY000"),
        ("webhook_url", "ftp://hooks.example.com/x"),
        ("webhook_url", "http://:8080/x"),
        ("webhook_url", "https://hooks.example.com:99999/x"),
        ("email", "zhao6@"),
        ("email", "zhao6@desk.test"),
    ):
        r = await api.put("/admin/members", json={**member, field: bad}, headers=admin)
        assert r.status_code == 422 and r.json()["error"]["field"] == field, (bad, r.text)
    good = {**member, "webhook_url": "https://hooks.example.com:8443/desk?to=1", "email": "Zhao6@Example.com"}
    r = await api.put("/admin/members", json=good, headers=admin)
    assert r.status_code == 200, r.text
    stored = (await api.get("/admin/members/reach-1", headers=admin)).json()
    assert (stored["webhook_url"], stored["email"]) == (good["webhook_url"], "Zhao6@example.com")
