"""The ticket workflow's Postgres writes (a step with its notices' first tries, assign, release, archive)."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import structlog
from pydantic import BaseModel
from temporalio import activity
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

from domain.enums import Priority
from domain.notification import NotifyRequest
from domain.sla import Outcome
from domain.ticket import TicketEvent, TicketView
from infra.settings import Settings
from infra.wake import wake
from store import archive as archive_store
from store import assignment as assignment_store
from store import queue, readmodel, timeline

log = structlog.get_logger(__name__)

# The retried activity: until Postgres is back; only a caller's mistake is non-retryable.
PERMANENT_ERRORS = ["UnknownTeam", "MemberUnavailable"]
DB_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
    non_retryable_error_types=PERMANENT_ERRORS,
)
DB_TIMEOUT = timedelta(seconds=10)
# The local activity tried first, inside the workflow task: seconds and a few attempts, as Temporal
# advises for local activities; a slower Postgres hands the write to the retried activity above.
LOCAL_TIMEOUT = timedelta(seconds=5)
LOCAL_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200),
    backoff_coefficient=2.0,
    maximum_attempts=3,
    non_retryable_error_types=PERMANENT_ERRORS,
)


class StepWrite(BaseModel):
    """A step of a ticket: its events and the state they leave, then its notices, each tried once."""

    events: list[TicketEvent]
    view: TicketView
    notices: list[NotifyRequest] = []


class StepWritten(BaseModel):
    """The keys of the notices whose first try failed (the retried `notify` activity delivers them), and
    of those that became a call task because no message reaches the customer."""

    retry: list[str] = []
    calls: list[str] = []


class AssignRequest(BaseModel):
    ticket_no: str
    round: int
    team: str
    exclude: list[str] = []
    member_id: str | None = None
    priority: Priority = Priority.MEDIUM  # its place in the team's queue, with the intake time
    opened_at: datetime | None = None


class AssignResult(BaseModel):
    member_id: str | None = None


class ReleaseRequest(BaseModel):
    ticket_no: str
    round: int


class ReleaseResult(BaseModel):
    released: bool


class ArchiveRequest(BaseModel):
    """The closed ticket, its last step's events and the assignment round to give back: one transaction."""

    view: TicketView
    outcomes: list[Outcome]
    events: list[TicketEvent] = []
    release_round: int | None = None
    notices: list[NotifyRequest] = []


class ArchiveResult(BaseModel):
    written: bool
    retry: list[str] = []  # notices whose first try failed: the retried `notify` delivers them


def _rows(events: list[TicketEvent]) -> list[readmodel.Event]:
    return [(e.seq, e.at, e.type, e.actor, e.data) for e in events]


class TicketActivities:
    """Built once per worker; every method is an activity taking one model."""

    def __init__(self, pool: asyncpg.Pool, settings: Settings) -> None:
        from activities.notify import NotifyActivities

        self._pool = pool
        self._settings = settings
        self._notify = NotifyActivities(pool, settings)

    def all(self) -> list[Callable[..., Any]]:
        return [
            self.record_step_and_try_notices,
            self.assign,
            self.release,
            self.archive,
            self._notify.notify,
        ]

    @activity.defn(name="record_step_and_try_notices")
    async def record_step_and_try_notices(self, req: StepWrite) -> StepWritten:
        """A step's events and state (one transaction), then one quick try of each of its notices; a retry
        writes nothing twice and sends nothing twice (deliveries are keyed)."""
        if req.events:
            await readmodel.record_events(self._pool, _rows(req.events), req.view)
        retry, calls = await self._notify.first_tries(req.notices)
        return StepWritten(retry=retry, calls=calls)

    @activity.defn(name="assign")
    async def assign(self, req: AssignRequest) -> AssignResult:
        """The member who gets this assignment round, or none when the team has no one free."""
        unknown = ApplicationError(f"unknown team {req.team!r}", type="UnknownTeam", non_retryable=True)
        if req.member_id is not None and not await assignment_store.team_exists(self._pool, req.team):
            raise unknown
        try:
            member = await assignment_store.assign(
                self._pool,
                req.ticket_no,
                req.round,
                req.team,
                req.exclude,
                req.member_id,
                req.priority,
                req.opened_at,
            )
        except assignment_store.MemberUnavailable as e:
            raise ApplicationError(str(e), type="MemberUnavailable", non_retryable=True) from e
        # A team's pick finds nobody free, or no such team: asked only then, not on every assignment.
        if member is None and not await assignment_store.team_exists(self._pool, req.team):
            raise unknown
        log.info("assignment", ticket_no=req.ticket_no, round=req.round, team=req.team, member=member)
        return AssignResult(member_id=member)

    @activity.defn(name="release")
    async def release(self, req: ReleaseRequest) -> ReleaseResult:
        """Give the member back the capacity this round took (once), leave the team's queue if still in it
        (a collaboration request answered while queued), and wake the queue."""
        released = await assignment_store.release(self._pool, req.ticket_no, req.round)
        await queue.dequeue(self._pool, req.ticket_no)
        await self._wake_queue(req.ticket_no, req.round)
        return ReleaseResult(released=released)

    async def _wake_queue(self, ticket_no: str, round_: int) -> None:
        """Seed 001: the slot a round gave back goes to its team's queue head at once, not at a poll.
        Woken again on a retry: a woken ticket that finds no slot just stays queued."""
        team = await self._pool.fetchval(
            "SELECT team_id FROM assignments WHERE ticket_no = $1 AND round = $2", ticket_no, round_
        )
        for _ in range(3):
            heads = await queue.heads(self._pool, team) if team else []
            if not heads:
                return
            # A workflow ended without leaving the queue (terminated by an operator) must not block it.
            gone = await wake(activity.client(), heads)
            if not gone:
                return
            for ticket_no_gone in gone:
                await queue.dequeue(self._pool, ticket_no_gone)

    @activity.defn(name="archive")
    async def archive(self, req: ArchiveRequest) -> ArchiveResult:
        """The full record: ticket, timeline, solution, root cause, satisfaction, deadlines met/missed; with
        the last events and the capacity given back, in one transaction a retry finds done."""
        view = req.view
        if view.closed_at is None:
            raise ApplicationError(
                f"ticket {view.ticket_no} is not closed", type="NotClosed", non_retryable=True
            )
        async with self._pool.acquire() as conn, conn.transaction():
            if req.events:
                await readmodel.record_events(conn, _rows(req.events), view)
            if req.release_round is not None:
                await assignment_store.release_in(conn, view.ticket_no, req.release_round)
            await queue.dequeue(conn, view.ticket_no)
            record = {
                "ticket": view.model_dump(mode="json"),
                "timeline": await timeline.timeline(conn, view.ticket_no),
                "solution": view.solution,
                "root_cause": view.root_cause.model_dump(mode="json") if view.root_cause else None,
                "satisfaction": view.feedback.model_dump(mode="json") if view.feedback else None,
                "close_reason": view.close_reason,
                "deadlines": [o.model_dump(mode="json") for o in req.outcomes],
            }
            written = await archive_store.archive(conn, view.ticket_no, record, view.closed_at)
        if req.release_round is not None:
            await self._wake_queue(view.ticket_no, req.release_round)
        retry, _ = await self._notify.first_tries(req.notices)
        return ArchiveResult(written=written, retry=retry)
