"""`make run`'s promise: `ticketflow dev` brings the whole stack up, and Ctrl-C takes all of it down."""

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil
import pytest
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.client import Client

from cli.embedded import free_port
from domain.policy import SHIPPED_POLICY, load_policy, policy_hash
from infra import search_attributes

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def _start(data_dir: Path, ports: dict[str, int]) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKETFLOW_")} | {
        "TICKETFLOW_DATA_DIR": str(data_dir),
        "TICKETFLOW_API_PORT": str(ports["api"]),
        "TICKETFLOW_TEMPORAL_PORT": str(ports["temporal"]),
        "TICKETFLOW_TEMPORAL_UI_PORT": str(ports["ui"]),
        "TICKETFLOW_POLICY_FILE": str(SHIPPED_POLICY),
        "TICKETFLOW_LOG_FORMAT": "json",
    }
    ticketflow = Path(sys.executable).parent / "ticketflow"
    with _log(data_dir).open("ab") as out:  # the child keeps its own descriptor of the file
        return subprocess.Popen(
            [str(ticketflow), "dev"], env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
        )


def _log(data_dir: Path) -> Path:
    """Where the stack's output goes: a file, not a pipe nobody reads (a full pipe would stall the stack)."""
    return data_dir.parent / "dev.log"


def _tail(data_dir: Path) -> str:
    return _log(data_dir).read_text(encoding="utf-8", errors="replace")[-3000:]


async def _wait_healthy(
    http: httpx.AsyncClient, url: str, proc: subprocess.Popen[bytes], data_dir: Path
) -> None:
    for _ in range(900):
        if proc.poll() is not None:
            pytest.fail(f"ticketflow dev exited with {proc.returncode}: {_tail(data_dir)}")
        try:
            if (await http.get(url)).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.2)
    pytest.fail("ticketflow dev did not become healthy within 180 s")


async def _open_a_ticket_and_see_it_assigned(http: httpx.AsyncClient, api: str, data_dir: Path) -> None:
    """The demo keys printed for newcomers work, and the stack's worker runs the ticket's workflow."""
    keys = dict(line.rsplit(maxsplit=1) for line in (data_dir / "demo-keys.txt").read_text().splitlines())
    keys = {who.strip(): key for who, key in keys.items()}
    body = {
        "channel": "chat",
        "external_id": "dev-stack-1",
        "customer": {"name": "张三", "phone": "13900001111"},
        "kind": "consultation",
        "category": "how_to",
        "description": "怎么查询物流? how do I track my parcel?",
    }
    opened = await http.post(f"{api}/tickets", json=body, headers={"X-API-Key": keys["integrator"]})
    assert opened.status_code == 201, opened.text
    ticket_no = opened.json()["ticket_no"]
    for _ in range(150):
        view = await http.get(f"{api}/tickets/{ticket_no}", headers={"X-API-Key": keys["admin"]})
        if view.status_code == 200 and view.json()["ticket"]["assignee"]:
            break
        await asyncio.sleep(0.2)
    assert view.json()["source"] == "live"
    assert view.json()["ticket"]["assignee"] in {"frontline-1", "frontline-2"}, view.text


def _descendants(pid: int) -> list[psutil.Process]:
    children: list[psutil.Process] = psutil.Process(pid).children(recursive=True)
    return children


def _postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "pg" / "postmaster.pid").read_text().splitlines()[0])


def _stop(
    proc: subprocess.Popen[bytes], children: list[psutil.Process], postmaster: int, data_dir: Path
) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        assert proc.wait(60) == 0, _tail(data_dir)
    finally:
        if proc.poll() is None:
            proc.kill()
    gone, alive = psutil.wait_procs(children, timeout=15)
    assert not alive, f"left behind: {[p.info if hasattr(p, 'info') else p for p in alive]}"
    assert not psutil.pid_exists(postmaster) or psutil.Process(postmaster).status() == psutil.STATUS_ZOMBIE


async def _wait_worker_polls(http: httpx.AsyncClient, url: str) -> Any:
    """The health once the dev stack's one worker shows as polling (it may start after the API)."""
    for _ in range(300):
        health = (await http.get(url)).json()
        if not health["workers"].startswith("none"):
            return health
        await asyncio.sleep(0.1)
    return health


@pytest.mark.timeout(420)
async def test_dev_starts_everything_and_sigint_stops_every_process(tmp_path: Path) -> None:
    data_dir = tmp_path / "tf"
    ports = {"api": free_port(), "temporal": free_port(), "ui": free_port()}
    proc = _start(data_dir, ports)
    async with httpx.AsyncClient(timeout=5) as http:
        await _wait_healthy(http, f"http://127.0.0.1:{ports['api']}/healthz", proc, data_dir)
        health = await _wait_worker_polls(http, f"http://127.0.0.1:{ports['api']}/healthz")
        assert health == {
            "status": "ok",
            "temporal": "ok",
            "postgres": "ok",
            "workers": "1 polling tickets",
            "policy": policy_hash(load_policy(SHIPPED_POLICY)),
        }
        assert (await http.get(f"http://127.0.0.1:{ports['ui']}/")).status_code == 200
        assert (await http.get(f"http://127.0.0.1:{ports['api']}/docs")).status_code == 200
        await _open_a_ticket_and_see_it_assigned(http, f"http://127.0.0.1:{ports['api']}", data_dir)

    client = await Client.connect(f"127.0.0.1:{ports['temporal']}")
    listed = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace="default")
    )
    for key in search_attributes.ALL:
        assert key.name in listed.custom_attributes, key.name
    assert (data_dir / "temporal.db").exists()

    pg_dsn = f"postgresql://postgres@/postgres?host={data_dir / 'pg'}"
    conn = await asyncpg.connect(pg_dsn)
    assert await conn.fetchval("SELECT count(*) FROM schema_migrations") >= 1
    await conn.execute("INSERT INTO teams (id, name, department) VALUES ('marker', 'kept across runs', 'x')")
    await conn.close()

    children, postmaster = _descendants(proc.pid), _postmaster_pid(data_dir)
    assert len(children) >= 1  # the Temporal dev server at least
    _stop(proc, children, postmaster, data_dir)

    # A second run finds the data of the first.
    proc = _start(data_dir, ports)
    async with httpx.AsyncClient(timeout=5) as http:
        await _wait_healthy(http, f"http://127.0.0.1:{ports['api']}/healthz", proc, data_dir)
    conn = await asyncpg.connect(pg_dsn)
    assert await conn.fetchval("SELECT name FROM teams WHERE id = 'marker'") == "kept across runs"
    await conn.close()
    _stop(proc, _descendants(proc.pid), _postmaster_pid(data_dir), data_dir)


async def test_existing_servers_mean_nothing_embedded_is_started(tmp_path: Path) -> None:
    """With both addresses set, `ticketflow dev` must not start its own servers: here they are unreachable,
    so it fails fast instead of silently starting embedded ones."""
    ports = {"api": free_port(), "temporal": free_port(), "ui": free_port()}
    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKETFLOW_")} | {
        "TICKETFLOW_DATA_DIR": str(tmp_path / "tf"),
        "TICKETFLOW_API_PORT": str(ports["api"]),
        "TICKETFLOW_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
        "TICKETFLOW_DATABASE_URL": f"postgresql://x@127.0.0.1:{free_port()}/x",
    }
    ticketflow = Path(sys.executable).parent / "ticketflow"
    done = await asyncio.to_thread(
        subprocess.run, [str(ticketflow), "dev"], env=env, cwd=ROOT, capture_output=True, timeout=120
    )
    assert done.returncode != 0
    assert not (tmp_path / "tf" / "pg").exists()
    assert not (tmp_path / "tf" / "temporal.db").exists()
