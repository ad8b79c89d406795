"""A desk's backlog: N open tickets with deadlines hours away, the calls people make on them, and a stream of
deadlines due meanwhile. Targets: each call's p99 at the largest size ≤ 1.2× at the smallest, escalation
p99 < 1 s, the worker's RSS ≤ 512 MiB at 20,000 open with the sticky cache capped (method: bench/RESULTS.md).

    python bench/backlog.py [--sizes 1000,20000] [--workers 1] [--apis 1]
    python bench/backlog.py --sizes 1000,20000,100000   # when time allows (hours on 2 cores)
"""

import argparse
import asyncio
import os
import random
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import httpx
from _stack import (
    TEAMS,
    Stack,
    Timings,
    bounded,
    cpu_by_role,
    cpu_spent,
    ms,
    pct,
    record,
    roles,
    rss_mib,
    running_stack,
    table,
)
from escalation import escalations
from lifecycle import CATEGORIES

from domain.enums import ApiRole
from domain.policy import SHIPPED_POLICY, Policy, load_policy
from store.api_keys import NewApiKey, create_api_key

RATIO = 1.2  # each call's p99 at the largest size against the smallest
LATE = 1.0  # escalation p99, seconds
RSS = 512.0  # MiB, each worker at 20,000 open tickets
BACKLOG_PRIORITIES = ["urgent", "high", "low"]  # medium is the stream's: seconds-scale first response
CALLS = ["list", "read", "action"]


def backlog_policy(lead: float) -> Policy:
    """The default policy with hours-scale targets for the backlog (none due, nor warned of, during a run
    of under two hours) and a first response `lead` seconds after intake for medium: the stream."""
    base = load_policy(SHIPPED_POLICY).model_dump(mode="json")
    base["targets"] = {
        "acknowledge": "4h",
        "warn_at": 0.8,
        "first_response": {"urgent": "3h", "high": "6h", "medium": f"{lead}s", "low": "12h"},
        "resolution": {"urgent": "24h", "high": "48h", "medium": "72h", "low": "120h"},
        "progress_update": dict.fromkeys(("urgent", "high", "medium", "low"), "24h"),
    }
    base["escalation"] = {**base["escalation"], "interval": "4h"}
    return Policy.model_validate(base)


def intake(i: int, priority: str) -> dict[str, Any]:
    # A customer of its own each: one customer holding the whole backlog would make every read count it.
    return {
        "channel": "app",
        "external_id": f"backlog-{uuid.uuid4().hex}",
        "customer": {"name": "王五", "phone": f"139{i:08d}"},
        "kind": "fault_report",
        "category": CATEGORIES[i % len(CATEGORIES)],
        "priority": priority,
        "description": "app crashes on start",
    }


async def _call(send: Callable[[], Awaitable[httpx.Response]], t: Timings | None = None) -> dict[str, Any]:
    """The answer's body; a 503 (Temporal or PostgreSQL not answering in time on an overloaded box) is
    retried after a pause, as an integrator's client does: intake is idempotent per external id."""
    for pause in (0.5, 1, 2, 4, 8, 15, 30):
        r = await send()
        if r.status_code != 503:
            break
        if t is not None:
            t.count("503 retried")
        await asyncio.sleep(pause)
    return _ok(r)


def _ok(r: httpx.Response) -> dict[str, Any]:
    if r.status_code >= 300:
        raise RuntimeError(f"{r.request.method} {r.request.url.path}: {r.status_code} {r.text[:300]}")
    body: dict[str, Any] = r.json()
    return body


class Desk:
    """The run's state: the stack, its HTTP client, the backlog's ticket numbers in intake order, keys."""

    def __init__(self, stack: Stack, http: httpx.AsyncClient, supervisors: dict[str, dict[str, str]]) -> None:
        self.stack, self.http, self.supervisors = stack, http, supervisors
        self.integrator = {"X-API-Key": stack.integrator_key}
        self.backlog: list[str] = []
        self.touched: set[str] = set()
        self.opened = 0

    async def open(self, priority: str, t: Timings | None = None) -> dict[str, Any]:
        i, self.opened = self.opened, self.opened + 1
        body = intake(i, priority)
        return await _call(lambda: self.http.post("/tickets", json=body, headers=self.integrator), t)

    async def fill(self, n: int, concurrency: int, t: Timings) -> float:
        """Open n backlog tickets, `concurrency` at a time; the wall time."""
        opened: dict[int, str] = {}

        async def one(i: int) -> None:
            async with t.time("intake"):
                opened[i] = (await self.open(BACKLOG_PRIORITIES[i % 3], t))["ticket_no"]

        wall = await bounded(n, concurrency, one)
        self.backlog += [opened[i] for i in sorted(opened)]
        return wall

    async def settled(self, within: float) -> None:
        """Until every ticket opened is assigned (its intake work done)."""
        until = time.monotonic() + within
        query = "SELECT count(*) FROM tickets WHERE assignee IS NULL AND status <> 'closed'"
        while (left := await self.stack.pool.fetchval(query)) > 0:
            if time.monotonic() > until:
                raise TimeoutError(f"{left} tickets still unassigned after {within:.0f} s")
            await asyncio.sleep(1)
        await asyncio.sleep(3)

    async def quiet(self, below: float = 0.2, span: float = 5.0, within: float = 600.0) -> float:
        """Until the stack's processes use under `below` cores over `span` s: the work an intake leaves
        behind (notices, visibility) is done, so the window measures a backlog, not its filling. The wait."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < within:
            before = cpu_by_role(self.stack)
            await asyncio.sleep(span)
            used = cpu_spent(before, cpu_by_role(self.stack))
            cores = sum(c for role, c in used.items() if role != "driver") / span
            print(f"  settling: {cores:.2f} cores", flush=True)
            if cores < below:
                break
        return time.monotonic() - t0

    def untouched(self, rng: random.Random, among: list[str]) -> str:
        if self.touched.issuperset(among):
            raise RuntimeError(
                "every ticket of the backlog has been acted on: fewer --calls or larger --sizes"
            )
        while True:
            no = rng.choice(among)
            if no not in self.touched:
                self.touched.add(no)
                return no

    async def acknowledge(self, no: str, t: Timings, label: str) -> bool:
        """Read the ticket, then acknowledge it as its assignee: an agent opening the next ticket."""
        async with t.time("read"):
            view = (await _call(lambda: self.http.get(f"/tickets/{no}", headers=self.integrator), t))[
                "ticket"
            ]
        if view["status"] != "assigned" or not view["assignee"]:
            t.count("not assigned")
            return False
        agent = {"X-API-Key": self.stack.agent_keys[view["assignee"]]}
        async with t.time(label):
            await _call(lambda: self.http.post(f"/tickets/{no}/acknowledge", json={}, headers=agent), t)
        return True

    async def calls(self, n: int, lanes: int, t: Timings, rng: random.Random) -> None:
        """n rounds of a supervisor's work list (team and status), a read and an action on a ticket of
        the backlog none has touched since its intake."""

        async def one(i: int) -> None:
            team = TEAMS[i % len(TEAMS)]
            params: dict[str, str | int] = {"team": team, "status": "assigned", "sort": "due", "limit": 50}
            async with t.time("list"):
                await _call(
                    lambda: self.http.get("/tickets", params=params, headers=self.supervisors[team]), t
                )
            await self.acknowledge(self.untouched(rng, self.backlog), t, "action")

        await bounded(n, lanes, one)

    async def stream(self, n: int, window: float) -> dict[str, datetime]:
        """Open n medium tickets at an even pace over `window` s; their first-response deadlines."""
        dues: dict[str, datetime] = {}
        t0 = time.monotonic()

        async def one() -> None:
            opened = await self.open("medium")
            dues[opened["ticket_no"]] = datetime.fromisoformat(opened["deadlines"]["response_due"])

        tasks = []
        for i in range(n):
            await asyncio.sleep(max(0.0, t0 + i * window / n - time.monotonic()))
            tasks.append(asyncio.create_task(one()))
        await asyncio.gather(*tasks)
        return dues


async def disk(stack: Stack) -> tuple[int, int]:
    """Bytes on disk: the PostgreSQL database and the Temporal dev server's SQLite files."""
    pg = await stack.pool.fetchval("SELECT pg_database_size(current_database())")
    temporal = sum(p.stat().st_size for p in stack.base.glob("temporal.db*"))
    return int(pg), temporal


def busiest(cpu: dict[str, float], wall: float, counts: dict[str, int]) -> str:
    """Cores each role used over `wall`, the busiest first; a Python process near one core is the limit."""
    used = sorted(((c / wall, r) for r, c in cpu.items() if c > 0), reverse=True)
    parts = []
    for cores, role in used:
        many = counts.get(role, 1)
        each = f", {cores / many:.2f} each" if many > 1 and role in ("api", "worker") else ""
        parts.append(f"{role} {cores:.2f}{each}")
    return "; ".join(parts)


def bottleneck(cpu: dict[str, float], wall: float, counts: dict[str, int]) -> str:
    """The role that limits throughput: a Python process (one GIL) near a full core, else the role that
    uses the most CPU on a box whose cores are all in use."""
    per = {r: c / wall / (counts.get(r, 1) if r in ("api", "worker") else 1) for r, c in cpu.items()}
    gil = [(u, r) for r, u in per.items() if r in ("api", "worker", "driver") and u >= 0.85]
    if gil:
        return f"{max(gil)[1]} (one process at {max(gil)[0]:.2f} of a core)"
    role = max(cpu, key=lambda r: cpu[r])
    return f"{role} (the most CPU: {cpu[role] / wall:.2f} cores; the box's cores shared)"


def worker_rss(stack: Stack) -> list[float]:
    return sorted(rss_mib(pid) for pid, role in roles(stack).items() if role == "worker")


async def measure(
    desk: Desk, args: argparse.Namespace, size: int, base_disk: tuple[int, int], rng: random.Random
) -> dict[str, Any]:
    """Grow the backlog to `size`, then the window: the stream and the calls; then the figures."""
    stack = desk.stack
    t = Timings()
    counts = dict.fromkeys(("api", "worker"), 0)
    for role in roles(stack).values():
        if role in counts:
            counts[role] += 1
    cpu0, load0 = cpu_by_role(stack), os.getloadavg()
    to_open = size - len(desk.backlog)
    print(f"[{size}] opening {to_open} tickets", flush=True)
    fill_wall = await desk.fill(to_open, args.concurrency, t)
    await desk.settled(within=120 + to_open / 5)
    cpu1 = cpu_by_role(stack)
    fill_cpu = cpu_spent(cpu0, cpu1)
    pg, temporal = await disk(stack)
    open_now = await stack.pool.fetchval("SELECT count(*) FROM tickets WHERE status <> 'closed'")
    print(f"[{size}] opened in {fill_wall:.0f} s; the window: {args.stream} deadlines, calls", flush=True)

    rested = await desk.quiet() if args.rest else 0.0
    print(f"[{size}] quiet after {rested:.0f} s", flush=True)
    # Warm: connections, query plans, the first of each path.
    await desk.calls(args.warmup, args.lanes, Timings(), rng)
    t_window = time.perf_counter()
    stream = asyncio.create_task(desk.stream(args.stream, args.window))
    await desk.calls(args.calls, args.lanes, t, rng)
    dues = await stream
    last = max(dues.values()).timestamp() - time.time()
    fired = await escalations(stack, dues, time.monotonic() + max(0.0, last) + 60)
    window_wall = time.perf_counter() - t_window
    cpu2 = cpu_by_role(stack)
    late = [fired[no].timestamp() - due.timestamp() for no, due in dues.items() if no in fired]

    # Replay: an action on a ticket still in the worker's cache (the newest) against one evicted (the
    # oldest), one at a time, when the backlog outgrows the cache.
    replay = Timings()
    if size > args.cache:
        newest, oldest = desk.backlog[-args.cache // 4 :], desk.backlog[: len(desk.backlog) - args.cache]
        for _ in range(args.replay):
            await desk.acknowledge(desk.untouched(rng, newest), replay, "action, cached (newest)")
            await desk.acknowledge(desk.untouched(rng, oldest), replay, "action, evicted (oldest)")
    await asyncio.sleep(2)
    rss = worker_rss(stack)
    return {
        "size": size,
        "open": open_now,
        "opened": to_open,
        "fill_wall": fill_wall,
        "fill_cpu": fill_cpu,
        "window_cpu": cpu_spent(cpu1, cpu2),
        "window_wall": window_wall,
        "counts": counts,
        "calls": t,
        "replay": replay,
        "late": late,
        "late_expected": len(dues),
        "rss": rss,
        "pg": pg - base_disk[0],
        "temporal": temporal - base_disk[1],
        "load": load0,
    }


def per_ticket_cpu(m: dict[str, Any]) -> str:
    cpu: dict[str, float] = m["fill_cpu"]
    return ", ".join(f"{r} {c / m['opened'] * 1000:.0f}" for r, c in cpu.items() if c > 0) + (
        f"; all {sum(cpu.values()) / m['opened'] * 1000:.0f} ms"
    )


def report(runs: list[dict[str, Any]], args: argparse.Namespace, idle: list[float]) -> tuple[str, str]:
    first, top = runs[0], runs[-1]
    rows = []
    for m in runs:
        t: Timings = m["calls"]
        rows.append(
            [
                m["size"],
                m["open"],
                *(ms(pct(t.by.get(c, []), 99)) for c in CALLS),
                f"{ms(pct(m['late'], 50))} / {ms(pct(m['late'], 99))}"
                f" ({len(m['late'])}/{m['late_expected']})",
                " + ".join(f"{r:.0f}" for r in m["rss"]) + " MiB",
                f"{m['pg'] / m['open'] / 1024:.1f} KiB",
                f"{m['temporal'] / m['open'] / 1024:.1f} KiB",
            ]
        )
    main = table(
        [
            "open (target)",
            "open",
            "list p99",
            "read p99",
            "action p99",
            "escalation p50 / p99",
            "worker RSS",
            "Postgres / open ticket",
            "Temporal / open ticket",
        ],
        rows,
    )
    fills = table(
        [
            "open",
            "opened",
            "intake /s",
            "intake p99",
            "CPU ms a ticket opened",
            "busiest (cores, while opening)",
        ],
        [
            [
                m["size"],
                m["opened"],
                f"{m['opened'] / m['fill_wall']:.1f}",
                ms(pct(m["calls"].by.get("intake", []), 99)),
                per_ticket_cpu(m),
                busiest(m["fill_cpu"], m["fill_wall"], m["counts"]),
            ]
            for m in runs
        ],
    )
    bottlenecks = "\n".join(
        f"- at {m['size']}: while opening, {bottleneck(m['fill_cpu'], m['fill_wall'], m['counts'])};"
        f" in the window, {busiest(m['window_cpu'], m['window_wall'], m['counts'])} cores"
        for m in runs
    )
    steps = "\n\n".join(
        f"At {m['size']} open:\n\n"
        + table(["call", "n", "p50", "p99", "max"], m["calls"].rows() + m["replay"].rows())
        for m in runs
    )
    ratios = {c: pct(top["calls"].by.get(c, []), 99) / pct(first["calls"].by.get(c, []), 99) for c in CALLS}
    worst = max(ratios.values())
    late99 = pct(top["late"], 99)
    all_late = all(len(m["late"]) == m["late_expected"] for m in runs)
    late_ok = all_late and all(pct(m["late"], 99) < LATE for m in runs)
    rss_top = max(top["rss"])
    rss_ok = rss_top <= RSS if top["size"] >= 20_000 else None
    label = f"{top['size']}/{first['size']}"
    targets = [
        *(
            f"- {c} p99 {ms(pct(first['calls'].by[c], 99))} → {ms(pct(top['calls'].by[c], 99))}: ratio"
            f" {ratios[c]:.2f} (target ≤ {RATIO}): {'PASS' if ratios[c] <= RATIO else 'FAIL'}"
            for c in CALLS
        ),
        f"- escalation p99 at {top['size']} open: {ms(late99)}, every size"
        f" {'all escalated' if all_late else 'NOT all escalated'} (target < 1 s):"
        f" {'PASS' if late_ok else 'FAIL'}",
        f"- worker RSS at {top['size']} open: {rss_top:.0f} MiB with the cache capped at {args.cache}"
        f" (target ≤ {RSS:.0f} MiB at 20,000): {'-' if rss_ok is None else 'PASS' if rss_ok else 'FAIL'}",
    ]
    replay = top["replay"].by
    replay_line = ""
    if replay:
        cached, evicted = (
            replay.get("action, cached (newest)", []),
            replay.get("action, evicted (oldest)", []),
        )
        replay_line = (
            f"Replay of an evicted ticket: an acknowledge on a cached ticket p50 {ms(pct(cached, 50))}, on an"
            f" evicted one p50 {ms(pct(evicted, 50))} ({len(cached)} and {len(evicted)}, one at a time)."
        )
    retried = ", ".join(f"{m['size']}: {m['calls'].counts['503 retried']}" for m in runs)
    loads = ", ".join(f"{m['size']}: {m['load'][0]:.1f}/{m['load'][1]:.1f}/{m['load'][2]:.1f}" for m in runs)
    layout = f"{args.apis} API process(es), {args.workers} worker process(es)"
    idle_line = (
        f"Worker RSS idle (started, polling, nothing open): {' + '.join(f'{r:.0f}' for r in idle)} MiB; each"
        f" benchmark worker also hosts the bare baseline's worker. Growth at {top['size']} open:"
        f" {max(top['rss']) - max(idle):+.0f} MiB with the cache capped at {args.cache}."
    )
    body = "\n\n".join(
        x
        for x in [
            main,
            fills,
            idle_line,
            f"{layout}; load average (1/5/15 min) when each size began: {loads}. Answers 503 (the engine"
            f" not answering in time), retried by the driver as an integrator's client would: {retried}.",
            "Bottleneck:\n" + bottlenecks,
            replay_line,
            steps,
            "Targets:\n" + "\n".join(targets),
        ]
        if x
    )
    verdict = (
        f"backlog: p99 ratio {label} {worst:.2f} ({'PASS' if worst <= RATIO else 'FAIL'}, target ≤ {RATIO});"
        f" escalation p99 {ms(late99)} ({'PASS' if late_ok else 'FAIL'}); worker RSS {rss_top:.0f} MiB"
        f" ({'-' if rss_ok is None else 'PASS' if rss_ok else 'FAIL'}); {layout}"
    )
    return body, verdict


async def main(argv: list[str] | None = None) -> None:
    from infra.settings import Settings

    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--sizes", default="1000,20000", help="open tickets at which to measure, ascending")
    p.add_argument("--concurrency", type=int, default=32, help="intakes at a time while filling")
    p.add_argument("--stream", type=int, default=120, help="deadlines due during each window")
    p.add_argument("--window", type=float, default=60.0, help="seconds over which the stream is opened")
    p.add_argument("--lead", type=float, default=20.0, help="the stream's first-response target, seconds")
    p.add_argument("--calls", type=int, default=300, help="rounds of list, read and action in each window")
    p.add_argument("--warmup", type=int, default=10, help="rounds before each window, not timed")
    p.add_argument("--lanes", type=int, default=2, help="rounds at a time")
    p.add_argument("--replay", type=int, default=30, help="cached and evicted actions, when over the cache")
    p.add_argument(
        "--cache", type=int, default=Settings().worker_cached_workflows, help="max_cached_workflows"
    )
    p.add_argument("--workers", type=int, default=1, help="worker processes")
    p.add_argument("--apis", type=int, default=1, help="API processes, the driver's requests round-robin")
    p.add_argument(
        "--rest",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="wait for the stack to go quiet after filling, before the window",
    )
    p.add_argument("--seed", type=int, default=24)
    p.add_argument("--no-record", action="store_true", help="print only; do not append to RESULTS.md")
    args = p.parse_args(argv)
    sizes = sorted({int(x) for x in args.sizes.split(",")})
    rng = random.Random(args.seed)
    runs = []
    async with running_stack(
        backlog_policy(args.lead),
        processes=True,
        workers=args.workers,
        apis=args.apis,
        tuning={"max_cached_workflows": args.cache},
        agents_per_team=max(2, sizes[-1] // 2500),
        capacity=1_000,
    ) as stack:
        supervisors = {}
        for team in TEAMS:
            key = NewApiKey(role=ApiRole.SUPERVISOR, member_id=f"{team}-sup", label="bench")
            supervisors[team] = {"X-API-Key": (await create_api_key(stack.pool, key)).key}
        async with stack.http(args.concurrency * 2) as http:
            desk = Desk(stack, http, supervisors)
            base = await disk(stack)
            idle = worker_rss(stack)
            for size in sizes:
                runs.append(await measure(desk, args, size, base, rng))
                m = runs[-1]
                print(f"[{size}] done: late p99 {ms(pct(m['late'], 99))}, RSS {m['rss']}", flush=True)
    body, verdict = report(runs, args, idle)
    cmd = " ".join(["bench/backlog.py", *(sys.argv[1:] if argv is None else argv)])
    if args.no_record:
        print(body, verdict, sep="\n")
    else:
        title = f"backlog: {args.sizes} open tickets, {args.apis} API + {args.workers} worker process(es)"
        record(title, cmd, body, verdict)


if __name__ == "__main__":
    t0 = time.perf_counter()
    asyncio.run(main())
    print(f"(ran {time.perf_counter() - t0:.0f} s)")
