"""CPU a ticket of `POST /tickets` sent without category and kind (sorted by the desk), beside the same
intake with them given, in the same run. Target: sorted ÷ given ≤ 1.15 (issue 21).

    python bench/sorting.py [--tickets 200] [--concurrency 16]
"""

import argparse
import asyncio
import sys
import time
from typing import Any

from _stack import Stack, Timings, bounded, cpu_by_role, cpu_spent, ms, pct, record, running_stack, table
from intake import settled
from lifecycle import intake_body

TARGET = 1.15
GIVEN, SORTED = "POST /tickets (category given)", "POST /tickets (sorted by the desk)"
# The desk's own kinds of contact: some a keyword rule sorts, some only the classifier does.
TEXTS = [
    "订单号230930001, 支付成功后未收到发货短信",
    "APP登录一直失败",
    "收到的衣服线头很多",
    "退款什么时候能到账",
    "客服电话一直没人接",
    "希望增加多语言支持",
    "请问怎么开电子发票",
    "你们公司周末上班吗",
]


def _body(i: int, sort: bool) -> dict[str, Any]:
    body = intake_body(i)
    body["description"] = TEXTS[i % len(TEXTS)]
    if sort:
        del body["kind"], body["category"]
    return body


async def run(stack: Stack, n: int, concurrency: int, sort: bool, t: Timings, label: str) -> float:
    headers = {"X-API-Key": stack.integrator_key}
    async with stack.http(concurrency * 2) as http:

        async def one(i: int) -> None:
            async with t.time(label):
                r = await http.post("/tickets", json=_body(i, sort), headers=headers)
            if r.status_code != 201:
                raise RuntimeError(f"intake answered {r.status_code}: {r.text[:300]}")

        return await bounded(n, concurrency, one)


async def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--tickets", type=int, default=200)
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--no-record", action="store_true", help="print only; do not append to RESULTS.md")
    args = p.parse_args(argv)
    t = Timings()
    async with running_stack(processes=True) as stack:
        # Warm both paths: the first sorted intake trains the classifier (once per API process).
        await run(stack, args.warmup, args.concurrency, False, Timings(), GIVEN)
        await run(stack, args.warmup, args.concurrency, True, Timings(), SORTED)
        await settled(stack)
        cpu0 = cpu_by_role(stack)
        given_wall = await run(stack, args.tickets, args.concurrency, False, t, GIVEN)
        await settled(stack)
        cpu1 = cpu_by_role(stack)
        sorted_wall = await run(stack, args.tickets, args.concurrency, True, t, SORTED)
        await settled(stack)
        cpu2 = cpu_by_role(stack)
    given, sorted_ = cpu_spent(cpu0, cpu1), cpu_spent(cpu1, cpu2)
    n = args.tickets
    roles = [r for r in ("temporal", "worker", "api", "postgres", "driver") if r in given or r in sorted_]
    rows = [[r, f"{given.get(r, 0) / n * 1000:.1f}", f"{sorted_.get(r, 0) / n * 1000:.1f}"] for r in roles]
    g, s = (sum(c.values()) / n * 1000 for c in (given, sorted_))
    rows.append(["all", f"{g:.1f}", f"{s:.1f}"])
    body = table(["CPU ms a ticket", "category given", "sorted by the desk"], rows)
    lat = [[label, f"{w:.1f} s", ms(pct(t.by[label], 50)), ms(pct(t.by[label], 99))] for label, w in
           ((GIVEN, given_wall), (SORTED, sorted_wall))]  # fmt: skip
    body += "\n\n" + table(["call", "wall", "p50", "p99"], lat)
    ratio = s / g
    verdict = (
        f"sorting: {'PASS' if ratio <= TARGET else 'FAIL'} — CPU a ticket sorted ÷ given {ratio:.2f}"
        f" (target ≤ {TARGET}): {s:.1f} ms against {g:.1f} ms, API alone"
        f" {sorted_.get('api', 0) / n * 1000:.1f} against {given.get('api', 0) / n * 1000:.1f} ms"
    )
    cmd = " ".join(["bench/sorting.py", *(sys.argv[1:] if argv is None else argv)])
    if args.no_record:
        print(body, verdict, sep="\n")
    else:
        record(f"sorting at intake: {n} tickets, {args.concurrency} at a time", cmd, body, verdict)


if __name__ == "__main__":
    t0 = time.perf_counter()
    asyncio.run(main())
    print(f"(ran {time.perf_counter() - t0:.0f} s)")
