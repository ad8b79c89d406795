"""Worker resident memory by open tickets: a `ticketflow worker` process measured at each level.
Its tickets stay open, in its workflow cache (method: bench/RESULTS.md).

    python bench/memory.py [--levels 0,500,1000] [--concurrency 32]
    python bench/memory.py --levels 0,1000,10000   # the issue's full size (long on 2 cores)
"""

import argparse
import asyncio
import subprocess
import sys
import time
from pathlib import Path

from _stack import Stack, bounded, process_env, record, running_stack, table
from lifecycle import intake_body


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def start_worker(stack: Stack) -> subprocess.Popen[bytes]:
    env = process_env(stack)
    exe = Path(sys.executable).parent / "ticketflow"
    log = (stack.base / "worker.log").open("ab")
    return subprocess.Popen([str(exe), "worker"], env=env, stdout=log, stderr=subprocess.STDOUT)


async def settled(stack: Stack, n: int, within: float) -> None:
    """Until n tickets are assigned (their intake work done) and the worker is idle."""
    until = time.monotonic() + within
    while await stack.pool.fetchval("SELECT count(*) FROM ticket_events WHERE type = 'assigned'") < n:
        if time.monotonic() > until:
            raise TimeoutError(f"fewer than {n} tickets assigned after {within:.0f} s")
        await asyncio.sleep(0.5)
    await asyncio.sleep(3)


async def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--levels", default="0,500,1000", help="open tickets at which to measure")
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--no-record", action="store_true", help="print only; do not append to RESULTS.md")
    args = p.parse_args(argv)
    levels = sorted({int(x) for x in args.levels.split(",")} | {0})
    rows: list[list[object]] = []
    async with running_stack(
        worker=False, capacity=1000, agents_per_team=max(1, levels[-1] // 4000)
    ) as stack:
        worker = start_worker(stack)
        try:
            headers = {"X-API-Key": stack.integrator_key}
            async with stack.http(args.concurrency * 2) as http:
                await asyncio.sleep(5)  # the worker connects and starts polling
                base = rss_mib(worker.pid)
                opened = 0
                for level in levels:
                    t0 = time.perf_counter()

                    async def one(i: int, first: int = opened) -> None:
                        r = await http.post("/tickets", json=intake_body(first + i), headers=headers)
                        if r.status_code != 201:
                            raise RuntimeError(f"intake answered {r.status_code}: {r.text[:300]}")

                    await bounded(level - opened, args.concurrency, one)
                    opened = level
                    await settled(stack, level, within=60 + level / 5)
                    rss = rss_mib(worker.pid)
                    base = rss if level == 0 else base  # idle: started, polling, nothing open
                    per = f"{(rss - base) * 1024 / level:.1f} KiB" if level else "-"
                    took = time.perf_counter() - t0
                    rows.append([level, f"{rss:.0f} MiB", f"{rss - base:+.0f} MiB", per, f"{took:.0f} s"])
                    print(rows[-1], flush=True)
        finally:
            worker.terminate()
            worker.wait(30)
    body = table(["open tickets", "worker RSS", "over idle", "per open ticket", "to open"], rows)
    top = rows[-1]
    verdict = (
        f"memory: {top[0]} open tickets hold {top[1]} in the worker, {top[3]} per open ticket "
        f"(no target: figures for sizing max_cached_workflows and worker hosts)"
    )
    cmd = " ".join(["bench/memory.py", *(sys.argv[1:] if argv is None else argv)])
    if args.no_record:
        print(body, verdict, sep="\n")
    else:
        record(f"memory: worker RSS at {args.levels} open tickets", cmd, body, verdict)


if __name__ == "__main__":
    t0 = time.perf_counter()
    asyncio.run(main())
    print(f"(ran {time.perf_counter() - t0:.0f} s)")
