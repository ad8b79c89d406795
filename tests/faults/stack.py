"""A real ticketflow stack in a temp dir, as separate processes the fault tests can kill and restart."""

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import psutil
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from cli.embedded import (
    EmbeddedPostgres,
    TemporalDevServer,
    free_port,
    start_postgres,
    start_temporal,
)
from domain.enums import ApiRole, Channel, Role
from store.api_keys import NewApiKey, create_api_key
from store.db import create_pool, migrate
from store.directory import Member, seed_demo, upsert_member
from tests.activities.channels.servers import WebhookReceiver, webhook_receiver

SECRET = "faults-secret-key-of-at-least-32-bytes"
TASK_QUEUE = "faults"
# Frontline (how_to tickets) gets agents enough for the full flood (capacity 1000 each); logistics
# tickets are the webhook test's.
EXTRA_FRONTLINE = 20

# Seconds-scale rules. Medium and low tickets have nothing due for an hour (so only the test moves them);
# high tickets run the whole deadline ladder within 15 s; an answered callback-less ticket closes 8 s after
# its callback (a window the feedback-stage kills land in, with slack).
POLICY = """
[targets]
acknowledge = "1h"
warn_at = 0.8
[targets.first_response]
urgent = "1h"
high = "6s"
medium = "1h"
low = "1h"
[targets.resolution]
urgent = "2h"
high = "15s"
medium = "2h"
low = "2h"
[targets.progress_update]
urgent = "1h"
high = "1h"
medium = "1h"
low = "1h"
[escalation]
interval = "4s"
[review]
priorities = []
kinds = []
[feedback]
callback_within = "1h"
no_response_after = "8s"
attempts = 1               # no second request by call: nobody here answers calls
[assignment]
retry_every = "5s"
[hotspot]
threshold = 1000           # the ceiling: the small tests open no incident, the flood opens one
window = "1h"
[routing]
default_team = "frontline"
[[routing.rules]]
categories = ["logistics"]
team = "logistics"
"""


@dataclass
class Keys:
    admin: str
    integrator: str
    agents: dict[str, str]


@dataclass
class FaultStack:
    """Temporal dev server (file-backed), PostgreSQL, `ticketflow worker` and `ticketflow api` processes."""

    root: Path
    temporal_port: int = field(default_factory=free_port)
    api_port: int = field(default_factory=free_port)
    temporal: TemporalDevServer | None = None
    postgres: EmbeddedPostgres | None = None
    worker: subprocess.Popen[bytes] | None = None
    api: subprocess.Popen[bytes] | None = None
    pool: asyncpg.Pool | None = None
    keys: Keys | None = None
    # The integrators' webhook every customer notice reaches (every channel's), so callbacks are sent
    # and tickets close; without a channel the callback would wait for a handler's call.
    _customers: WebhookReceiver | None = None
    _customers_cm: AbstractAsyncContextManager[WebhookReceiver] | None = None
    _starts: dict[str, int] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def customers(self) -> WebhookReceiver:
        assert self._customers is not None
        return self._customers

    @property
    def db(self) -> asyncpg.Pool:
        assert self.pool is not None
        return self.pool

    # ---- the servers ------------------------------------------------------------------------------

    def start_temporal(self) -> None:
        self.temporal = start_temporal(
            self.root / "temporal.db", self.temporal_port, free_port(), self.root / "temporal.log"
        )

    def stop_temporal(self) -> None:
        assert self.temporal is not None
        self.temporal.stop()

    def stop_postgres(self) -> None:
        assert self.postgres is not None
        self.postgres.stop()

    def start_postgres(self) -> None:
        assert self.postgres is not None
        self.postgres.start()

    # ---- the processes ------------------------------------------------------------------------------

    def _env(self) -> dict[str, str]:
        assert self.postgres is not None and self.temporal is not None and self._customers is not None
        return {k: v for k, v in os.environ.items() if not k.startswith("TICKETFLOW_")} | {
            "TICKETFLOW_TEMPORAL_ADDRESS": self.temporal.address,
            "TICKETFLOW_DATABASE_URL": self.postgres.uri,
            "TICKETFLOW_TASK_QUEUE": TASK_QUEUE,
            "TICKETFLOW_POLICY_FILE": str(self.root / "policy.toml"),
            "TICKETFLOW_SECRET_KEY": SECRET,
            "TICKETFLOW_API_PORT": str(self.api_port),
            "TICKETFLOW_PUBLIC_URL": self.api_url,
            "TICKETFLOW_CHANNEL_WEBHOOKS": json.dumps({c.value: self.customers.url for c in Channel}),
            "TICKETFLOW_LOG_FORMAT": "json",
            "TICKETFLOW_LOG_LEVEL": "WARNING",
        }

    def _spawn(self, command: str) -> subprocess.Popen[bytes]:
        n = self._starts[command] = self._starts.get(command, 0) + 1
        with (self.root / f"{command}-{n}.log").open("wb") as out:
            return subprocess.Popen(
                [str(Path(sys.executable).parent / "ticketflow"), command],
                env=self._env(),
                cwd=self.root,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    def log_of(self, command: str) -> str:
        return (self.root / f"{command}-{self._starts[command]}.log").read_text(errors="replace")

    async def start_worker(self) -> None:
        self.worker = self._spawn("worker")
        # The worker logs at WARNING; it is ready once it polls, which it shows by holding a Temporal
        # connection. Waiting for the process to settle (imports done, client connected) is enough here.
        proc = psutil.Process(self.worker.pid)
        for _ in range(300):
            if self.worker.poll() is not None:
                raise RuntimeError(f"worker exited: {self.log_of('worker')[-2000:]}")
            conns = [c for c in proc.net_connections() if c.raddr and c.raddr.port == self.temporal_port]
            if conns:
                return
            await asyncio.sleep(0.1)
        raise RuntimeError("worker did not connect to Temporal within 30 s")

    async def start_api(self) -> None:
        self.api = self._spawn("api")
        async with httpx.AsyncClient(timeout=2) as http:
            for _ in range(300):
                if self.api.poll() is not None:
                    raise RuntimeError(f"api exited: {self.log_of('api')[-2000:]}")
                try:
                    if (await http.get(f"{self.api_url}/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError("api not healthy within 30 s")

    @staticmethod
    def sigkill(proc: subprocess.Popen[bytes] | None) -> None:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)

    async def temporal_client(self) -> Client:
        """A client of the stack's Temporal with the API's payloads (pydantic), for the tests' probes."""
        assert self.temporal is not None
        return await Client.connect(self.temporal.address, data_converter=pydantic_data_converter)

    async def restore(self) -> None:
        """Start again whatever a test left stopped (a failure between its kill and its restart), so that
        failure cannot fail the tests after it."""
        self.customers.statuses.clear()  # the integrators' webhook accepts again
        if self.temporal is not None and self.temporal.process.poll() is not None:
            await asyncio.to_thread(self.start_temporal)
        if self.postgres is not None:
            await asyncio.to_thread(self.postgres.start)  # a no-op when it runs
        if self.worker is not None and self.worker.poll() is not None:
            await self.start_worker()
        if self.api is not None and self.api.poll() is not None:
            await self.start_api()

    def worker_rss(self) -> int:
        assert self.worker is not None
        return int(psutil.Process(self.worker.pid).memory_info().rss)

    # ---- whole stack --------------------------------------------------------------------------------

    async def start(self) -> None:
        (self.root / "policy.toml").write_text(POLICY)
        self._customers_cm = webhook_receiver(SECRET)
        self._customers = await self._customers_cm.__aenter__()
        await asyncio.to_thread(self.start_temporal)
        self.postgres = await asyncio.to_thread(start_postgres, self.root / "pg")
        await migrate(self.postgres.uri)
        self.pool = await create_pool(self.postgres.uri, max_size=5)
        await seed_demo(self.pool)
        # Capacity is not what these tests are about: nobody's queue may fill up.
        for n in range(3, 3 + EXTRA_FRONTLINE):
            await upsert_member(
                self.pool,
                Member(id=f"frontline-{n}", name=f"agent {n}", role=Role.AGENT, team_id="frontline"),
            )
        await self.pool.execute("UPDATE members SET capacity = 1000")
        agents = await self.pool.fetch("SELECT id FROM members WHERE role = 'agent' ORDER BY id")
        issue = self._issue
        self.keys = Keys(
            admin=await issue(ApiRole.ADMIN),
            integrator=await issue(ApiRole.INTEGRATOR),
            agents={r["id"]: await issue(ApiRole.AGENT, r["id"]) for r in agents},
        )
        await self.start_worker()
        await self.start_api()

    async def _issue(self, role: ApiRole, member: str | None = None) -> str:
        return (await create_api_key(self.db, NewApiKey(role=role, member_id=member))).key

    async def stop(self) -> None:
        self.sigkill(self.api)
        if self.worker is not None and self.worker.poll() is None:
            self.worker.terminate()
            try:
                self.worker.wait(20)
            except subprocess.TimeoutExpired:
                self.sigkill(self.worker)
        if self.pool is not None:
            self.pool.terminate()
        if self.temporal is not None:
            await asyncio.to_thread(self.temporal.stop)
        if self.postgres is not None:
            await asyncio.to_thread(self.postgres.stop)
        if self._customers_cm is not None:
            await self._customers_cm.__aexit__(None, None, None)


def new_root() -> Path:
    # Short: PostgreSQL's Unix socket lives in its data directory, and socket paths are limited.
    return Path(tempfile.mkdtemp(prefix="tff"))


def remove_root(root: Path) -> None:
    """Removed, unless TICKETFLOW_FAULTS_KEEP=1 asks to keep the processes' logs for a post-mortem."""
    if os.environ.get("TICKETFLOW_FAULTS_KEEP") == "1":
        print(f"kept {root}", flush=True)
        return
    shutil.rmtree(root, ignore_errors=True)
