"""Issue 19: a worker process's readiness, asked of Temporal (the worker polls; Temporal answers), so the
probe needs neither metrics nor a port on the worker."""

import asyncio
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

TICKETFLOW = str(Path(sys.executable).parent / "ticketflow")


def _start_worker(env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [TICKETFLOW, "worker"], env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


@pytest.mark.slow  # a worker process and a probe process a second
async def test_worker_ready_says_yes_only_while_this_hosts_worker_polls_every_queue(
    dev_env: WorkflowEnvironment, database: str, task_queue: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKETFLOW_")} | {
        "TICKETFLOW_TEMPORAL_ADDRESS": dev_env.client.service_client.config.target_host,
        "TICKETFLOW_DATABASE_URL": database,
        "TICKETFLOW_TASK_QUEUE": task_queue,
        "TICKETFLOW_SECRET_KEY": secrets.token_urlsafe(48),
        "TICKETFLOW_LOG_FORMAT": "json",
    }

    def probe() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [TICKETFLOW, "worker-ready"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
        )

    before = probe()
    assert before.returncode == 1
    assert f"no worker of this host polls: {task_queue} workflow, {task_queue} activity" in before.stderr

    worker = _start_worker(env, tmp_path)
    try:
        for _ in range(60):
            ready = probe()
            if ready.returncode == 0:
                break
            assert worker.poll() is None, worker.communicate()[0].decode()[-2000:]
            await asyncio.sleep(1)
        assert ready.returncode == 0, ready.stderr
        assert f"{worker.pid}@" in ready.stderr  # the SDK's identity: pid@host
    finally:
        worker.terminate()
        out, _ = worker.communicate(timeout=60)
    # The worker said at start which policy it loaded (the packaged one: tmp_path has no policy.toml).
    assert b'"policy": "' in out and b'"event": "worker started"' in out, out[-2000:]
    # Nothing set it here, and the worker writes the links customers follow: it says so.
    assert b"TICKETFLOW_PUBLIC_URL is not set: links sent to customers point at http://127.0.0.1:8000" in out
