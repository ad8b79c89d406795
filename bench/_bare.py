"""Baseline workflows for the benchmarks: bare Temporal doing what a ticket is asked to do, no desk."""

import os
import time
from datetime import datetime, timedelta
from pathlib import Path

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from domain.actions import Acknowledge, FeedbackAnswer, ProgressNote, Resolve

BARE_LIFECYCLE = "BareLifecycle"
BARE_DEADLINE = "BareDeadline"


@workflow.defn(name=BARE_LIFECYCLE)
class BareLifecycle:
    """The ticket's start and its updates (acknowledge, progress, resolve, feedback); no activities."""

    @workflow.init
    def __init__(self, ticket_no: str) -> None:
        self.status = "assigned"

    @workflow.run
    async def run(self, ticket_no: str) -> str:
        await workflow.wait_condition(lambda: self.status == "closed")
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.status

    @workflow.update
    async def acknowledge(self, a: Acknowledge) -> str:
        self.status = "in_progress"
        return self.status

    @workflow.update
    async def progress(self, p: ProgressNote) -> str:
        return self.status

    @workflow.update
    async def resolve(self, r: Resolve) -> str:
        self.status = "awaiting_feedback"
        return self.status

    @workflow.update
    async def feedback(self, f: FeedbackAnswer) -> str:
        self.status = "closed"
        return self.status

    @workflow.query
    def view(self) -> str:
        return self.status


# Wall-clock times at which each bare deadline's activity ran, by workflow id; a worker in a process of
# its own (bench/_serve.py) also appends them to the file this variable names, for the benchmark to read.
FIRED: dict[str, float] = {}
FIRED_FILE = os.environ.get("TICKETFLOW_BENCH_FIRED")


@activity.defn(name="bare_noop")
async def bare_noop(workflow_id: str) -> None:
    if workflow_id in FIRED:
        return
    FIRED[workflow_id] = time.time()
    if FIRED_FILE:
        with open(FIRED_FILE, "a", encoding="utf-8") as out:  # noqa: ASYNC230  (one short line)
            out.write(f"{workflow_id} {FIRED[workflow_id]}\n")


def read_fired(path: Path) -> dict[str, float]:
    """What a worker process appended to its FIRED_FILE (the first time each workflow fired)."""
    fired: dict[str, float] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            key, at = line.split()
            fired.setdefault(key, float(at))
    return fired


@workflow.defn(name=BARE_DEADLINE)
class BareDeadline:
    """Sleeps until the deadline, then runs one no-op activity."""

    @workflow.run
    async def run(self, due: datetime) -> None:
        wait = due - workflow.now()
        if wait > timedelta(0):
            await workflow.sleep(wait)
        await workflow.execute_activity(
            bare_noop, workflow.info().workflow_id, start_to_close_timeout=timedelta(seconds=30)
        )
