"""Shared benchmark plumbing: the whole stack on embedded servers in a temp dir, figures, RESULTS.md."""

import asyncio
import contextlib
import itertools
import json
import logging
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import structlog
import uvicorn
from pydantic import SecretStr
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from cli.embedded import free_port, start_postgres, start_temporal
from domain.enums import ApiRole, Channel, Role
from domain.policy import SHIPPED_POLICY, Policy, load_policy
from infra.settings import Settings
from infra.temporal_client import connect
from store import directory
from store.api_keys import NewApiKey, create_api_key
from store.db import create_pool, migrate
from worker.worker import build_counter_worker, build_worker, sandbox_runner

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
TEAMS = [t.id for t in directory.DEMO_TEAMS]


def quiet() -> None:
    """Warnings only: an info line per activity would cost more than the activity. SIGTERM unwinds like
    Ctrl-C, so the embedded servers are stopped and the temp dir removed."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    logging.basicConfig(level=logging.WARNING)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


class _Server(uvicorn.Server):
    # The benchmark owns the process's signals.
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class Stack:
    """What a benchmark drives: the Temporal client, the pool, the API's base URL and keys."""

    base: Path
    settings: Settings
    policy: Policy
    client: Client
    pool: asyncpg.Pool
    url: str
    integrator_key: str
    agent_keys: dict[str, str] = field(default_factory=dict)
    # Every API process's base URL when there are several (`url` is the first).
    urls: list[str] = field(default_factory=list)

    def http(self, limit: int = 64, url: str | None = None) -> httpx.AsyncClient:
        """A client of the API at `url`, else of the stack's API processes, each request to the next one."""
        limits = httpx.Limits(max_connections=limit, max_keepalive_connections=limit)
        ports = [httpx.URL(u).port or 80 for u in self.urls] if url is None and len(self.urls) > 1 else []
        transport = _RoundRobin(ports, limits) if ports else None
        return httpx.AsyncClient(base_url=url or self.url, timeout=120.0, limits=limits, transport=transport)


class _RoundRobin(httpx.AsyncBaseTransport):
    """Sends each request to the next of the API processes' ports, as a load balancer would."""

    def __init__(self, ports: list[int], limits: httpx.Limits) -> None:
        self._ports = itertools.cycle(ports)
        self._inner = httpx.AsyncHTTPTransport(limits=limits)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(port=next(self._ports))
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


async def _directory(pool: asyncpg.Pool, agents_per_team: int, capacity: int) -> dict[str, str]:
    """The demo directory plus `agents_per_team` agents a team, all with room for the whole run; one
    agent key each (acknowledging is the assignee's own act)."""
    await directory.seed_demo(pool)
    for team in TEAMS:
        for n in range(agents_per_team):
            await directory.upsert_member(
                pool,
                directory.Member(id=f"{team}-b{n}", name=f"{team} bench {n}", role=Role.AGENT, team_id=team),
            )
    await pool.execute("UPDATE members SET capacity = $1", capacity)
    keys = {}
    for row in await pool.fetch("SELECT id FROM members WHERE role = 'agent'"):
        new = NewApiKey(role=ApiRole.AGENT, member_id=row["id"], label="bench")
        keys[row["id"]] = (await create_api_key(pool, new)).key
    return keys


def bare_worker(client: Client, task_queue: str = "bare") -> Worker:
    """The baselines' worker: the product's runner (no sandbox unless the settings ask for one) and cache,
    on its own task queue. (Until 2026-12-02 it kept the sandbox the product had dropped, which charged the
    baseline a cost the desk did not pay.)"""
    from _bare import BareDeadline, BareLifecycle, bare_noop

    sandboxed = Settings().workflow_sandbox
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[BareLifecycle, BareDeadline],
        activities=[bare_noop],
        workflow_runner=sandbox_runner() if sandboxed else UnsandboxedWorkflowRunner(),
        max_cached_workflows=10_000,
    )


@contextlib.asynccontextmanager
async def running_stack(
    policy: Policy | None = None,
    *,
    agents_per_team: int = 4,
    capacity: int = 1_000,
    pool_size: int = 20,
    api: bool = True,
    worker: bool = True,
    tuning: dict[str, Any] | None = None,
    processes: bool = False,
    workers: int = 1,
    apis: int = 1,
) -> AsyncIterator[Stack]:
    """Temporal dev server and PostgreSQL in a temp dir, migrated and seeded; the ticket worker and the API
    (uvicorn on a free port) in this process, as `ticketflow dev`. With `processes`, as deployed instead:
    `apis` API and `workers` worker processes of their own (bench/_serve.py), the workers hosting the
    bare baseline's worker too, so both sides are driven from this process through Temporal alike.
    """
    quiet()
    base = Path(tempfile.mkdtemp(prefix="tfbench-"))
    inbox = await asyncio.start_server(_accept_notice, "127.0.0.1", 0)
    inbox_url = f"http://127.0.0.1:{inbox.sockets[0].getsockname()[1]}/hooks/ticketflow"
    temporal = await asyncio.to_thread(
        start_temporal, base / "temporal.db", free_port(), free_port(), base / "temporal.log"
    )
    postgres = None
    try:
        postgres = await asyncio.to_thread(start_postgres, base / "pg")
        await migrate(postgres.uri)
        own_policy = policy is not None
        policy = policy or load_policy(SHIPPED_POLICY)
        settings = Settings(
            temporal_address=temporal.address,
            database_url=postgres.uri,
            task_queue="tickets",
            data_dir=base,
            policy_file=SHIPPED_POLICY,
            api_port=free_port(),
            secret_key=SecretStr("bench-secret-key-of-at-least-32-bytes"),
            channel_webhooks=dict.fromkeys(Channel, inbox_url),
        )
        client = await connect(settings)
        pool = await create_pool(settings.database_url, max_size=pool_size)
        try:
            agent_keys = await _directory(pool, agents_per_team, capacity)
            integrator = (await create_api_key(pool, NewApiKey(role=ApiRole.INTEGRATOR, label="bench"))).key
            stack = Stack(
                base=base,
                settings=settings,
                policy=policy,
                client=client,
                pool=pool,
                url=settings.base_url(),
                integrator_key=integrator,
                agent_keys=agent_keys,
                urls=[settings.base_url()],
            )
            async with contextlib.AsyncExitStack() as running:
                if processes:
                    for _ in range(workers):
                        await running.enter_async_context(_worker_process(stack, pool_size, tuning or {}))
                    await running.enter_async_context(_api_process(stack, own_policy))
                    for _ in range(apis - 1):
                        port = free_port()
                        stack.urls.append(f"http://{settings.api_host}:{port}")
                        await running.enter_async_context(_api_process(stack, own_policy, port))
                else:
                    if worker:
                        worker_ = build_worker(client, pool, settings, **(tuning or {}))
                        await running.enter_async_context(worker_)
                        await running.enter_async_context(build_counter_worker(client, pool, settings))
                    if api:
                        await running.enter_async_context(_serve_api(stack))
                yield stack
        finally:
            await pool.close()
    finally:
        await asyncio.to_thread(temporal.stop)
        if postgres is not None:
            await asyncio.to_thread(postgres.stop)
        inbox.close()
        shutil.rmtree(base, ignore_errors=True)


async def _accept_notice(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """The integrators' webhook every customer notice goes to, as in production: each answered 200."""
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                (
                    int(v)
                    for k, _, v in (ln.partition(b":") for ln in head.split(b"\r\n"))
                    if k.lower() == b"content-length"
                ),
                0,
            )
            await reader.readexactly(length)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


@contextlib.asynccontextmanager
async def _serve_api(stack: Stack, app: Any = None, port: int | None = None) -> AsyncIterator[None]:
    # Imported here: the API pulls in the classifier (scikit-learn, ~120 MiB), which a worker process
    # importing this module must not carry, or its RSS measures the benchmark instead of the worker.
    from api.app import create_app

    app = app or create_app(stack.settings, client=stack.client, pool=stack.pool, policy=stack.policy)
    config = uvicorn.Config(
        app,
        host=stack.settings.api_host,
        port=port or stack.settings.api_port,
        log_config=None,
        log_level="warning",
        access_log=False,
        lifespan="on",
        # Longer than any pause of the load: a keep-alive connection uvicorn closes just as the client
        # reuses it fails the request (httpx.ReadError) instead of measuring it.
        timeout_keep_alive=300,
    )
    server = _Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110  (uvicorn exposes readiness only as a flag)
        if serving.done():
            await serving
            raise RuntimeError("the API did not start")
        await asyncio.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        await serving


def fired_file(stack: Stack) -> Path:
    """Where the bare worker in a process of its own records when each bare deadline fired."""
    return stack.base / "bare-fired.txt"


def process_env(stack: Stack) -> dict[str, str]:
    """The environment a ticketflow process of the benchmark's stack runs with (API, worker, bare worker)."""
    return {
        **os.environ,
        "TICKETFLOW_TEMPORAL_ADDRESS": stack.settings.temporal_address,
        "TICKETFLOW_DATABASE_URL": stack.settings.database_url,
        "TICKETFLOW_TASK_QUEUE": stack.settings.task_queue,
        "TICKETFLOW_POLICY_FILE": str(stack.settings.policy_file),
        "TICKETFLOW_DATA_DIR": str(stack.base),
        "TICKETFLOW_API_PORT": str(stack.settings.api_port),
        "TICKETFLOW_SECRET_KEY": stack.settings.secret_key.get_secret_value(),
        "TICKETFLOW_LOG_LEVEL": "WARNING",
        "TICKETFLOW_BENCH_FIRED": str(fired_file(stack)),
        "TICKETFLOW_CHANNEL_WEBHOOKS": json.dumps(
            {c.value: url for c, url in stack.settings.channel_webhooks.items()}
        ),
    }


def _spawn(stack: Stack, role: str, *args: str) -> subprocess.Popen[bytes]:
    env = process_env(stack)
    log = (stack.base / f"{role}.log").open("ab")
    cmd = [sys.executable, str(ROOT / "bench" / "_serve.py"), role, *args]
    return subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT / "bench")


@contextlib.asynccontextmanager
async def _stopping(
    stack: Stack, proc: subprocess.Popen[bytes], ready: Callable[[], Awaitable[bool]]
) -> AsyncIterator[None]:
    try:
        until = time.monotonic() + 180  # a loaded shared box takes a minute to import the API
        while not await ready():
            if proc.poll() is not None or time.monotonic() > until:
                logs = "".join(p.read_text(errors="replace")[-2000:] for p in stack.base.glob("*.log"))
                raise RuntimeError(f"a benchmark process did not start:\n{logs}")
            await asyncio.sleep(0.2)
        yield
    finally:
        proc.terminate()
        await asyncio.to_thread(proc.wait, 30)


async def _pollers(stack: Stack, task_queue: str) -> set[str]:
    request = DescribeTaskQueueRequest(
        namespace=stack.client.namespace,
        task_queue=TaskQueue(name=task_queue),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    )
    return {p.identity for p in (await stack.client.workflow_service.describe_task_queue(request)).pollers}


@contextlib.asynccontextmanager
async def _worker_process(stack: Stack, pool_size: int, tuning: dict[str, Any]) -> AsyncIterator[None]:
    args = ["--bare", "--pool-size", str(pool_size), "--tuning", json.dumps(tuning)]
    proc = _spawn(stack, "worker", *args)

    async def ready() -> bool:
        polling = await _pollers(stack, stack.settings.task_queue) & await _pollers(stack, "bare")
        return any(identity.startswith(f"{proc.pid}@") for identity in polling)

    async with _stopping(stack, proc, ready):
        yield


async def _healthy(url: str) -> bool:
    """Whether the HTTP server at `url` is up and answers its health check."""
    async with httpx.AsyncClient(base_url=url) as http:
        try:
            return (await http.get("/healthz")).status_code == 200
        except httpx.TransportError:
            return False


@contextlib.asynccontextmanager
async def _api_process(stack: Stack, own_policy: bool, port: int | None = None) -> AsyncIterator[None]:
    args = ["--port", str(port)] if port else []
    if own_policy:  # the benchmark's own policy (seconds-scale targets), not the file's
        path = stack.base / "policy.json"
        path.write_text(stack.policy.model_dump_json())
        args += ["--policy-json", str(path)]
    proc = _spawn(stack, "api", *args)
    url = f"http://{stack.settings.api_host}:{port}" if port else stack.url

    async with _stopping(stack, proc, lambda: _healthy(url)):
        yield


@contextlib.asynccontextmanager
async def floor_api(stack: Stack, processes: bool) -> AsyncIterator[str]:
    """The HTTP floor (bench/_floor.py) on a port of its own, in a process of its own when the API is;
    yields its base URL."""
    from _floor import create_floor_app

    port = free_port()
    url = f"http://{stack.settings.api_host}:{port}"
    if not processes:
        async with _serve_api(stack, create_floor_app(stack.settings, stack.client), port):
            yield url
        return
    proc = _spawn(stack, "api", "--floor", "--port", str(port))

    async with _stopping(stack, proc, lambda: _healthy(url)):
        yield url


# ---- figures ---------------------------------------------------------------------------------------


def pct(values: Sequence[float], p: float) -> float:
    """The p-th percentile (nearest rank); NaN when there are no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def summary(values: Sequence[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": pct(values, 50),
        "p99": pct(values, 99),
        "max": max(values) if values else float("nan"),
        "mean": statistics.fmean(values) if values else float("nan"),
    }


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds == seconds else "-"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table, readable on a terminal and pasteable into RESULTS.md."""
    cells = [[str(h) for h in headers], *[[str(c) for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def machine() -> str:
    pages, page = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    cpu = platform.processor() or platform.machine()
    python = platform.python_version()
    return f"{os.cpu_count()} cores, {pages * page / 2**30:.1f} GiB, {cpu}, Python {python}"


def record(title: str, args: str, body: str, verdict: str | Sequence[str]) -> None:
    """Print the figures and append them, dated, with the machine, to bench/RESULTS.md; a verdict line a
    target."""
    lines = [verdict] if isinstance(verdict, str) else list(verdict)
    print(body)
    print("\n".join(lines), flush=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if not RESULTS.exists():
        RESULTS.write_text("# Benchmark results\n\nAppended by every `bench/*.py` run.\n")
    with RESULTS.open("a", encoding="utf-8") as out:
        verdicts = "\n\n".join(f"**{line}**" for line in lines)
        out.write(f"\n## {title} — {stamp}\n\n{machine()}; `{args}`\n\n{body}\n\n{verdicts}\n")


async def bounded(n: int, concurrency: int, job: Callable[[int], Awaitable[None]]) -> float:
    """Run job(0..n-1), `concurrency` at a time; the wall time in seconds."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)

    async def lane() -> None:
        while not queue.empty():
            await job(queue.get_nowait())

    t0 = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(min(concurrency, n))))
    return time.perf_counter() - t0


def _processes() -> dict[int, tuple[int, str, float]]:
    """Every process this user can read: pid → (parent pid, command line, CPU seconds so far)."""
    tick = os.sysconf("SC_CLK_TCK")
    found: dict[int, tuple[int, str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        found[int(entry.name)] = (int(fields[1]), cmdline, (int(fields[11]) + int(fields[12])) / tick)
    return found


def _role(cmdline: str) -> str:
    words = (("postgres", "postgres"), ("temporal", "temporal"), (" api", "api"), ("worker", "worker"))
    for word, role in words:
        if word in cmdline:
            return role
    return "driver"


def roles(stack: Stack) -> dict[int, str]:
    """The benchmark's processes, pid → role: the Temporal server, PostgreSQL, the workers, the APIs and
    the driver (this process)."""
    procs = _processes()
    # PostgreSQL daemonises away from the driver's tree; its command line names the stack's directory.
    mine = {os.getpid()} | {pid for pid, (_, cmd, _) in procs.items() if str(stack.base) in cmd}
    grew = True
    while grew:  # and their descendants, whatever their depth
        more = {pid for pid, (ppid, _, _) in procs.items() if ppid in mine} - mine
        mine |= more
        grew = bool(more)
    return {pid: "driver" if pid == os.getpid() else _role(procs[pid][1]) for pid in mine if pid in procs}


def cpu_by_role(stack: Stack) -> dict[str, float]:
    """CPU seconds spent so far by the benchmark's processes, by role (see `roles`). Wall time on a shared
    2-core box is noisy; CPU per ticket compares the desk with the bare baseline whatever else the machine
    is doing."""
    procs = _processes()
    by: dict[str, float] = {}
    for pid, role in roles(stack).items():
        if pid in procs:
            by[role] = by.get(role, 0.0) + procs[pid][2]
    return by


def rss_mib(pid: int) -> float:
    """A process's resident memory, MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {role: after.get(role, 0.0) - before.get(role, 0.0) for role in sorted(set(before) | set(after))}


class Timings:
    """Latencies by label, in seconds, and counts of things done along the way."""

    def __init__(self) -> None:
        self.by: dict[str, list[float]] = {}
        self.counts: Counter[str] = Counter()

    def count(self, label: str) -> None:
        self.counts[label] += 1

    @contextlib.asynccontextmanager
    async def time(self, label: str) -> AsyncIterator[None]:
        t0 = time.perf_counter()
        yield
        self.by.setdefault(label, []).append(time.perf_counter() - t0)

    def rows(self) -> list[list[object]]:
        return [[label, len(v), ms(pct(v, 50)), ms(pct(v, 99)), ms(max(v))] for label, v in self.by.items()]
