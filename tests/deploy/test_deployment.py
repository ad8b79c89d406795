"""Issue 19, the production shape on this machine: docs/OPERATIONS.md followed step by step against a Temporal
and a PostgreSQL ticketflow did not start, two workers and two APIs, one of each killed under load; every
ticket closed once, every notification delivered once."""

import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path

import asyncpg
import httpx
import pytest
import yaml
from temporalio.testing import WorkflowEnvironment

from cli.embedded import EmbeddedPostgres, free_port
from cli.worker_probe import polling
from domain.enums import Channel
from domain.policy import load_policy, policy_hash
from infra.settings import Settings
from store.db import create_pool
from tests.activities.channels.servers import WebhookReceiver, webhook_receiver
from tests.faults.driver import Http, exact_counts, gather_limited, intake_body, until, wait_archived
from tests.faults.stack import EXTRA_FRONTLINE, POLICY, FaultStack, Keys

pytestmark = pytest.mark.slow

TICKETFLOW = str(Path(sys.executable).parent / "ticketflow")
TICKETS = 20


AGENTS = [f"agent-{n}" for n in range(1, 1 + EXTRA_FRONTLINE // 4)]


def directory() -> dict[str, object]:
    """What the operator imports: the teams the deployment's policy routes to, and their people."""
    agents = [
        {"id": a, "name": f"客服 {a}", "role": "agent", "team_id": "frontline", "capacity": 1000}
        for a in AGENTS
    ]
    return {
        "teams": [
            {"id": "frontline", "name": "一线客服", "department": "service"},
            {"id": "logistics", "name": "物流部", "department": "operations"},
        ],
        "members": [
            *agents,
            {"id": "lead", "name": "主管", "role": "supervisor", "team_id": "frontline"},
            {"id": "ship-1", "name": "物流 1", "role": "agent", "team_id": "logistics", "capacity": 1000},
            {"id": "head", "name": "客服部经理", "role": "head", "department": "service"},
            {"id": "director", "name": "服务总监", "role": "director"},
        ],
    }


@dataclass
class Deployment(FaultStack):
    """Two workers and two APIs as `ticketflow` processes; `api_url` is a round-robin load balancer over the
    APIs still running, as one checking /readyz would be."""

    settings: dict[str, str] = field(default_factory=dict)
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    apis: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)
    _turn: Iterator[int] = field(default_factory=count)

    @property
    def api_url(self) -> str:
        live = [port for port, proc in self.apis.items() if proc.poll() is None]
        return f"http://127.0.0.1:{live[next(self._turn) % len(live)]}"

    def command(self, *args: str, check: bool = True, **extra: str) -> subprocess.CompletedProcess[str]:
        """A command as the operator types it, from an empty directory: only the settings, no policy file."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("TICKETFLOW_")} | self.settings | extra
        done = subprocess.run(
            [TICKETFLOW, *args], cwd=self.root / "empty", env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0 or not check, f"ticketflow {' '.join(args)}: {done.stderr}"
        return done

    def spawn(self, command: str, **extra: str) -> subprocess.Popen[bytes]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TICKETFLOW_")} | self.settings | extra
        n = len(self.workers) + len(self.apis)
        with (self.root / f"{command}-{n}.log").open("wb") as out:
            return subprocess.Popen(
                [TICKETFLOW, command], cwd=self.root / "empty", env=env, stdout=out, stderr=subprocess.STDOUT
            )

    async def start_one_worker(self, policy_file: Path) -> None:
        proc = self.spawn("worker", TICKETFLOW_POLICY_FILE=str(policy_file))
        self.workers.append(proc)
        settings = Settings(
            temporal_address=self.settings["TICKETFLOW_TEMPORAL_ADDRESS"],
            temporal_namespace=self.settings["TICKETFLOW_TEMPORAL_NAMESPACE"],
        )
        me = f"{proc.pid}@{socket.gethostname()}"

        async def polls_every_queue() -> bool:
            assert proc.poll() is None, "worker exited"
            return len(await polling(settings, me)) == 4  # what `ticketflow worker-ready` asks

        await until(polls_every_queue, f"worker {proc.pid} ready", timeout_s=90, every=0.5)

    async def start_one_api(self, policy_file: Path) -> None:
        port = free_port()
        proc = self.spawn("api", TICKETFLOW_POLICY_FILE=str(policy_file), TICKETFLOW_API_PORT=str(port))
        self.apis[port] = proc
        async with httpx.AsyncClient(timeout=5) as http:

            async def ready() -> bool:
                assert proc.poll() is None, "api exited"
                try:
                    return (await http.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200
                except httpx.TransportError:
                    return False

            await until(ready, f"api on {port} ready", timeout_s=90, every=0.3)

    def stop_all(self) -> None:
        for proc in [*self.workers, *self.apis.values()]:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in [*self.workers, *self.apis.values()]:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()


async def _database_owned_by(pg_server: EmbeddedPostgres, role: str, password: str, owner: bool) -> str:
    """docs/OPERATIONS.md's SQL: the role, and its database (owned by it, or merely connectable)."""
    admin = await asyncpg.connect(pg_server.uri)
    try:
        await admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
        await admin.execute(f"CREATE DATABASE {role} OWNER {role if owner else 'postgres'}")
        await admin.execute(f"GRANT CONNECT ON DATABASE {role} TO {role}")
    finally:
        await admin.close()
    host = pg_server.uri.split("?", 1)[1]
    return f"postgresql://{role}:{password}@/{role}?{host}"


@pytest.fixture
async def customers() -> AsyncIterator[WebhookReceiver]:
    async with webhook_receiver(SECRET_KEY) as receiver:
        yield receiver


SECRET_KEY = secrets.token_urlsafe(48)


@pytest.mark.timeout(900)
async def test_the_operators_guide_runs_two_of_each_and_survives_losing_one_of_each(
    dev_env: WorkflowEnvironment, pg_server: EmbeddedPostgres, customers: WebhookReceiver, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex[:8]
    (tmp_path / "empty").mkdir()
    # The deployment's own policy, outside the working directory: seconds-scale, so tickets close in the test.
    policy_file = tmp_path / "etc" / "policy.toml"
    policy_file.parent.mkdir()
    policy_file.write_text(POLICY)

    # PostgreSQL 15+: a role that merely connects cannot migrate; the one line says what to do.
    weak = await _database_owned_by(pg_server, f"weak_{run}", "pw", owner=False)
    deploy = Deployment(root=tmp_path)
    deploy.settings = {"TICKETFLOW_DATABASE_URL": weak}
    failed = deploy.command("migrate", check=False)
    assert failed.returncode == 2 and "must own its database" in failed.stderr, failed.stderr

    dsn = await _database_owned_by(pg_server, f"tf_{run}", secrets.token_hex(8), owner=True)
    deploy.settings = {
        "TICKETFLOW_TEMPORAL_ADDRESS": dev_env.client.service_client.config.target_host,
        "TICKETFLOW_TEMPORAL_NAMESPACE": f"deploy-{run}",
        "TICKETFLOW_DATABASE_URL": dsn,
        "TICKETFLOW_SECRET_KEY": SECRET_KEY,
        "TICKETFLOW_PUBLIC_URL": "https://tickets.example.com",
        "TICKETFLOW_CHANNEL_WEBHOOKS": json.dumps({c.value: customers.url for c in Channel}),
        "TICKETFLOW_LOG_FORMAT": "json",
        "TICKETFLOW_LOG_LEVEL": "WARNING",
    }

    # The guide's first start, in its order.
    deploy.command("create-namespace")
    setup = deploy.command("setup-temporal")
    assert f"policy: {policy_hash(load_policy())}" in setup.stderr  # the packaged one: no file here
    deploy.command("migrate")
    (tmp_path / "directory.yaml").write_text(yaml.safe_dump(directory(), allow_unicode=True))
    deploy.command(
        "directory", "import", str(tmp_path / "directory.yaml"), TICKETFLOW_POLICY_FILE=str(policy_file)
    )
    admin = deploy.command("create-api-key", "--role", "admin", "--label", "ops").stdout.strip()

    try:
        await deploy.start_one_worker(policy_file)
        await deploy.start_one_worker(policy_file)
        await deploy.start_one_api(policy_file)
        await deploy.start_one_api(policy_file)

        limits = httpx.Limits(max_connections=32, max_keepalive_connections=0)  # each request re-balanced
        async with httpx.AsyncClient(timeout=60, limits=limits) as client:
            # The other keys over HTTP with the admin key, as the guide says.
            async def issue(body: dict[str, str]) -> str:
                r = await client.post(
                    f"{deploy.api_url}/admin/api-keys", json=body, headers={"X-API-Key": admin}
                )
                assert r.status_code == 201, r.text
                return str(r.json()["key"])

            deploy.keys = Keys(
                admin=admin,
                integrator=await issue({"role": "integrator", "label": "chat"}),
                agents={m: await issue({"role": "agent", "member_id": m}) for m in [*AGENTS, "ship-1"]},
            )
            # Every process runs the deployment's policy, and both APIs see both workers.
            expected = policy_hash(load_policy(policy_file))
            for port in deploy.apis:
                ready = (await client.get(f"http://127.0.0.1:{port}/readyz")).json()
                assert (ready["policy"], ready["workers"]) == (expected, "2 polling tickets"), ready

            deploy.pool = await create_pool(dsn, max_size=4)
            http = Http(stack=deploy, client=client)
            tickets = await gather_limited(
                8, *(http.open_ticket(intake_body(f"deploy-{run}-{i}")) for i in range(TICKETS))
            )
            driving = asyncio.create_task(gather_limited(8, *(http.see_through(t) for t in tickets)))

            async def a_quarter_moved() -> bool:
                moved = await deploy.db.fetchval(
                    "SELECT count(*) FROM tickets"
                    " WHERE ticket_no = ANY($1) AND status NOT IN ('new', 'assigned')",
                    tickets,
                )
                return bool(moved >= TICKETS // 4)

            await until(a_quarter_moved, "a quarter acknowledged", every=0.05)
            deploy.sigkill(deploy.workers[0])
            deploy.sigkill(next(iter(deploy.apis.values())))
            killed_at = time.monotonic()

            await driving
            await wait_archived(deploy.db, tickets)
            # A notice the killed worker had sent but not reported is sent again (at least once, the key
            # lets the receiver drop it); one first sent after the kill never is.
            exact = await exact_counts(deploy.db, tickets, customers, repeats_only_before=killed_at)
        assert exact.tickets == exact.archive_rows == TICKETS
        print(
            json.dumps(
                {
                    "tickets": TICKETS,
                    "events": exact.events,
                    "notifications": exact.notifications,
                    "customer_notices": exact.customer_notices,
                    "all_archived_s_after_kill": round(time.monotonic() - killed_at, 1),
                    "http": dict(http.statuses),
                    "transport_errors": http.transport_errors,
                }
            )
        )
    finally:
        deploy.stop_all()
        if deploy.pool is not None:
            await deploy.pool.close()
