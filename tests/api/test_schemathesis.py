"""The API's contract as schemathesis checks it: every check against the app served over HTTP (generated
data the schema allows is accepted, data it forbids refused, every status and body documented, the
stateful phase following the OpenAPI links). A module of its own: the fuzzer's writes (members, keys,
tickets) land in this module's database, not beside other tests' scenarios."""

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI

from cli.embedded import free_port
from tests.api.conftest import Keys

ROOT = Path(__file__).resolve().parents[2]
# `make test` runs a bounded, seeded run; `make fuzz` sets TICKETFLOW_FUZZ_EXAMPLES (and a time budget).
EXAMPLES = int(os.environ.get("TICKETFLOW_FUZZ_EXAMPLES", "8"))
SEED = os.environ.get("TICKETFLOW_FUZZ_SEED", "1")
# Revoking keys by generated ids would revoke the fuzzer's own; that route has its own test.
EXCLUDED = r"/admin/api-keys/\{key_id\}"


@pytest.fixture
async def served(app: FastAPI) -> AsyncIterator[str]:
    """The test app on a real port (schemathesis re-sends requests with methods and headers of its own)."""
    await app.state.warming  # the classifier, trained as a deployed API does before its first requests
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110  (uvicorn exposes readiness only as a flag)
        await asyncio.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await serving


@pytest.mark.timeout(1800)
async def test_every_check_of_a_schemathesis_run_passes(served: str, keys: Keys) -> None:
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{served}/openapi.json",
        "--checks",
        "all",
        "--header",
        f"X-API-Key: {keys.admin}",
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        SEED,
        "--exclude-path-regex",
        EXCLUDED,
        "--workers",
        "1",
        # Hypothesis timing its own data generation: on a shared, loaded box that says nothing of the API.
        "--suppress-health-check",
        "too_slow",
        "--no-color",
    ]
    if budget := os.environ.get("TICKETFLOW_FUZZ_SECONDS"):
        command += ["--max-time", budget]
    run = await asyncio.create_subprocess_exec(
        *command,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=os.environ | {"SCHEMATHESIS_HOOKS": "tests.api.contract_hooks", "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
    )
    out, _ = await run.communicate()
    text = out.decode(errors="replace")
    summary = text[text.find("SUMMARY") :] if "SUMMARY" in text else text[-3000:]
    print(summary)
    failures = text[text.find("FAILURES") : text.find("SUMMARY")] if "FAILURES" in text else text[-12_000:]
    assert run.returncode == 0, failures
    assert "passed" in summary and "failures" not in summary.split("Warnings")[0], summary
