"""The benchmarks' server processes, as deployed: `api` (uvicorn) or `worker`.
`--bare` adds the bare baseline's worker on its own task queue; settings come from TICKETFLOW_* variables.
    python bench/_serve.py api
    python bench/_serve.py api --floor --port 8100   # the HTTP floor (bench/_floor.py) instead
    python bench/_serve.py worker [--bare] [--pool-size 20] [--tuning '{"max_cached_workflows": 500}']
"""

import argparse
import asyncio
import contextlib
import json
import os
import signal
from pathlib import Path
from typing import Any

import uvicorn
from _stack import bare_worker, quiet

from domain.policy import Policy
from infra.settings import Settings
from infra.temporal_client import connect
from store.db import create_pool
from worker.worker import build_counter_worker, build_worker


async def worker(settings: Settings, bare: bool, pool_size: int, tuning: dict[str, Any]) -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    client = await connect(settings, settings.worker_metrics_address)
    pool = await create_pool(settings.database_url, max_size=pool_size)
    try:
        async with contextlib.AsyncExitStack() as running:
            await running.enter_async_context(build_worker(client, pool, settings, None, **tuning))
            await running.enter_async_context(build_counter_worker(client, pool, settings))
            if bare:
                await running.enter_async_context(bare_worker(client))
            await stop.wait()
    finally:
        await pool.close()


def main() -> None:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("role", choices=["api", "worker"])
    p.add_argument("--bare", action="store_true")
    p.add_argument("--pool-size", type=int, default=20)
    p.add_argument("--tuning", default="{}", help="Worker arguments as JSON")
    p.add_argument("--policy-json", help="the API's policy, as JSON (a benchmark's own; default: the file)")
    p.add_argument("--floor", action="store_true", help="serve the HTTP floor instead of ticketflow's API")
    p.add_argument("--port", type=int, help="default: TICKETFLOW_API_PORT")
    args = p.parse_args()
    quiet()
    settings = Settings()
    if args.role == "worker":
        profile = os.environ.get("TICKETFLOW_BENCH_PROFILE")  # a path: the worker's pyinstrument profile
        profiler = None
        if profile:
            from pyinstrument import Profiler

            profiler = Profiler(async_mode="disabled")
            profiler.start()
        asyncio.run(worker(settings, args.bare, args.pool_size, json.loads(args.tuning)))
        if profiler is not None:
            profiler.stop()
            assert profile is not None
            Path(profile).write_text(profiler.output_text(unicode=True, color=False, show_all=False))
        return
    from _floor import create_floor_app

    from api.app import create_app  # not in a worker process: its RSS is measured (bench/backlog.py)

    policy = Policy.model_validate_json(Path(args.policy_json).read_text()) if args.policy_json else None
    app = create_floor_app(settings) if args.floor else create_app(settings, policy=policy)
    uvicorn.run(
        app,
        host=settings.api_host,
        port=args.port or settings.api_port,
        log_config=None,
        log_level="warning",
        access_log=False,
        # Longer than any pause of the load (see _stack._serve_api).
        timeout_keep_alive=300,
    )


if __name__ == "__main__":
    main()
