"""`POST /tickets` throughput and latency at fixed concurrency, beside bare `start_workflow` calls.

    python bench/intake.py [--tickets 300] [--concurrency 32]

Intake numbers the ticket in Postgres, starts its workflow and counts it towards hotspots; the baseline,
from the same driver against the same server, starts a bare workflow per ticket. The API and the worker
(with the bare worker beside it) run in processes of their own, as deployed. Target: ratio ≥ 0.8.
"""

import argparse
import asyncio
import sys
import time

from _bare import BARE_LIFECYCLE
from _stack import Stack, Timings, bounded, ms, pct, record, running_stack, table
from lifecycle import intake_body

TARGET = 0.8
LABEL, BARE_LABEL = "POST /tickets", "start_workflow"


async def run_intake(stack: Stack, n: int, concurrency: int, offset: int, t: Timings) -> float:
    headers = {"X-API-Key": stack.integrator_key}
    async with stack.http(concurrency * 2) as http:

        async def one(i: int) -> None:
            async with t.time(LABEL):
                r = await http.post("/tickets", json=intake_body(offset + i), headers=headers)
            if r.status_code != 201:
                raise RuntimeError(f"intake answered {r.status_code}: {r.text[:300]}")

        return await bounded(n, concurrency, one)


async def run_bare(stack: Stack, n: int, concurrency: int, run: str, t: Timings) -> float:
    async def one(i: int) -> None:
        wf_id = f"bare-intake-{run}-{i}"
        async with t.time(BARE_LABEL):
            await stack.client.start_workflow(BARE_LIFECYCLE, wf_id, id=wf_id, task_queue="bare")

    return await bounded(n, concurrency, one)


async def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--tickets", type=int, default=300)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--no-record", action="store_true", help="print only; do not append to RESULTS.md")
    args = p.parse_args(argv)
    t = Timings()
    # The API and the worker each in a process of their own, as deployed (bench/_serve.py).
    async with running_stack(processes=True) as stack:
        await run_intake(stack, args.warmup, args.concurrency, 0, Timings())
        await run_bare(stack, args.warmup, args.concurrency, "warm", Timings())
        wall = await run_intake(stack, args.tickets, args.concurrency, args.warmup, t)
        bare_wall = await run_bare(stack, args.tickets, args.concurrency, "timed", t)
    rate, bare_rate = args.tickets / wall, args.tickets / bare_wall
    ratio = rate / bare_rate
    rows = []
    for label, w, r in ((LABEL, wall, rate), (BARE_LABEL, bare_wall, bare_rate)):
        v = t.by[label]
        rows.append([label, len(v), f"{w:.1f} s", f"{r:.1f}", ms(pct(v, 50)), ms(pct(v, 99)), ms(max(v))])
    body = table(["call", "n", "wall", "per second", "p50", "p99", "max"], rows)
    verdict = (
        f"intake: {'PASS' if ratio >= TARGET else 'FAIL'} — ratio {ratio:.2f} (target ≥ {TARGET}): "
        f"{rate:.1f} intakes/s against {bare_rate:.1f} bare starts/s at concurrency {args.concurrency}, "
        f"p99 {ms(pct(t.by[LABEL], 99))} against {ms(pct(t.by[BARE_LABEL], 99))}"
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
