"""`POST /tickets` throughput and latency at fixed concurrency, beside bare `start_workflow` calls.
The HTTP floor runs in the same run. Target: ratio ≥ 0.8 (method: bench/RESULTS.md).

    python bench/intake.py [--tickets 300] [--concurrency 32]
"""

import argparse
import asyncio
import sys
import time

from _bare import BARE_LIFECYCLE
from _stack import (
    Stack,
    Timings,
    bounded,
    cpu_by_role,
    cpu_spent,
    floor_api,
    ms,
    pct,
    record,
    running_stack,
    table,
)
from lifecycle import cpu_table, intake_body

TARGET = 0.8
LABEL, FLOOR_LABEL, BARE_LABEL = "POST /tickets", "HTTP floor POST /bare/{id}", "start_workflow"


async def run_intake(stack: Stack, n: int, concurrency: int, offset: int, t: Timings) -> float:
    headers = {"X-API-Key": stack.integrator_key}
    async with stack.http(concurrency * 2) as http:

        async def one(i: int) -> None:
            async with t.time(LABEL):
                r = await http.post("/tickets", json=intake_body(offset + i), headers=headers)
            if r.status_code != 201:
                raise RuntimeError(f"intake answered {r.status_code}: {r.text[:300]}")

        return await bounded(n, concurrency, one)


async def run_floor(stack: Stack, url: str, n: int, concurrency: int, run: str, t: Timings) -> float:
    async with stack.http(concurrency * 2, url) as http:

        async def one(i: int) -> None:
            async with t.time(FLOOR_LABEL):
                r = await http.post(f"/bare/floor-intake-{run}-{i}")
            if r.status_code != 201:
                raise RuntimeError(f"the floor answered {r.status_code}: {r.text[:300]}")

        return await bounded(n, concurrency, one)


async def run_bare(stack: Stack, n: int, concurrency: int, run: str, t: Timings) -> float:
    async def one(i: int) -> None:
        wf_id = f"bare-intake-{run}-{i}"
        async with t.time(BARE_LABEL):
            await stack.client.start_workflow(BARE_LIFECYCLE, wf_id, id=wf_id, task_queue="bare")

    return await bounded(n, concurrency, one)


async def settled(stack: Stack, quiet_for: float = 1.0) -> None:
    """Until the stack's processes have been nearly idle (under 0.2 cores together) for `quiet_for` s."""
    last, idle_since = cpu_by_role(stack), time.monotonic()
    while time.monotonic() - idle_since < quiet_for:
        await asyncio.sleep(0.25)
        now = cpu_by_role(stack)
        if sum(now.values()) - sum(last.values()) > 0.05:
            idle_since = time.monotonic()
        last = now


async def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--tickets", type=int, default=300)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--no-record", action="store_true", help="print only; do not append to RESULTS.md")
    args = p.parse_args(argv)
    t = Timings()
    # The API and the worker each in a process of their own, as deployed (bench/_serve.py).
    async with running_stack(processes=True) as stack, floor_api(stack, processes=True) as floor_url:
        await run_intake(stack, args.warmup, args.concurrency, 0, Timings())
        await run_floor(stack, floor_url, args.warmup, args.concurrency, "warm", Timings())
        await run_bare(stack, args.warmup, args.concurrency, "warm", Timings())
        cpu0 = cpu_by_role(stack)
        wall = await run_intake(stack, args.tickets, args.concurrency, args.warmup, t)
        # What the intakes set going (each ticket's first workflow task: assignment, timeline, notice)
        # is billed to them: wait for the worker to finish it before the baseline starts.
        await settled(stack)
        cpu1 = cpu_by_role(stack)
        floor_wall = await run_floor(stack, floor_url, args.tickets, args.concurrency, "timed", t)
        await settled(stack)
        cpu2 = cpu_by_role(stack)
        bare_wall = await run_bare(stack, args.tickets, args.concurrency, "timed", t)
        await settled(stack)
        cpu3 = cpu_by_role(stack)
    rate, floor_rate, bare_rate = (args.tickets / w for w in (wall, floor_wall, bare_wall))
    ratio = rate / bare_rate
    rows = []
    runs = ((LABEL, wall, rate), (FLOOR_LABEL, floor_wall, floor_rate), (BARE_LABEL, bare_wall, bare_rate))
    for label, w, r in runs:
        v = t.by[label]
        rows.append([label, len(v), f"{w:.1f} s", f"{r:.1f}", ms(pct(v, 50)), ms(pct(v, 99)), ms(max(v))])
    body = table(["call", "n", "wall", "per second", "p50", "p99", "max"], rows)
    body += (
        f"\n\nRatios by wall time: ticketflow ÷ bare {ratio:.2f} (the target's); HTTP floor ÷ bare"
        f" {floor_rate / bare_rate:.2f}; ticketflow ÷ HTTP floor {rate / floor_rate:.2f}."
    )
    spent = (cpu_spent(cpu0, cpu1), cpu_spent(cpu1, cpu2), cpu_spent(cpu2, cpu3))
    body += "\n\n" + cpu_table(*spent, args.tickets)
    verdict = (
        f"intake: {'PASS' if ratio >= TARGET else 'FAIL'} — ratio {ratio:.2f} (target ≥ {TARGET}): "
        f"{rate:.1f} intakes/s against {bare_rate:.1f} bare starts/s at concurrency {args.concurrency}, "
        f"p99 {ms(pct(t.by[LABEL], 99))} against {ms(pct(t.by[BARE_LABEL], 99))}; the HTTP floor alone is"
        f" {floor_rate / bare_rate:.2f} of bare"
    )
    cmd = " ".join(["bench/intake.py", *(sys.argv[1:] if argv is None else argv)])
    if args.no_record:
        print(body, verdict, sep="\n")
    else:
        record(f"intake: {args.tickets} tickets, {args.concurrency} at a time", cmd, body, verdict)


if __name__ == "__main__":
    t0 = time.perf_counter()
    asyncio.run(main())
    print(f"(ran {time.perf_counter() - t0:.0f} s)")
