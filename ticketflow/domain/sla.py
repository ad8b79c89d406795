"""The SLA clock: deadlines as data, which one fires next, what a firing means, pause/resume arithmetic."""

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel

from ticketflow.domain.actions import FeedbackAnswer
from ticketflow.domain.enums import Priority, Role
from ticketflow.domain.notification import Audience
from ticketflow.domain.policy import Policy
from ticketflow.domain.ticket import Deadlines


class Clock(StrEnum):
    """Every timer a ticket can have running."""

    ASSIGN = "assign"  # retry assignment while the ticket waits in the team queue
    ACK = "ack"  # the assignee confirms receipt
    RESPONSE = "response"  # first response to the customer
    UPDATE = "update"  # progress cadence
    RESOLVE = "resolve"  # resolution
    ESCALATION = "escalation"  # next rung of the escalation ladder
    CALLBACK = "callback"  # the customer is contacted after resolution (met when the callback goes out)
    FEEDBACK = "feedback"  # the customer answers the callback


# Targets whose assignee gets a reminder at warn_at of the target (seed 000: 预警).
WARNED = frozenset({Clock.ACK, Clock.RESPONSE, Clock.UPDATE, Clock.RESOLVE})
# Targets whose breach climbs the escalation ladder.
ESCALATING = frozenset({Clock.RESPONSE, Clock.UPDATE, Clock.RESOLVE})


class Firing(StrEnum):
    WARN = "warn"
    DUE = "due"


class ClockRun(BaseModel):
    """One running clock: when it started and when it is due; whether its reminder went out."""

    start: datetime
    due: datetime
    warned: bool = False


class Outcome(BaseModel):
    """A target that ended: met or missed, for the archive and the weekly report."""

    clock: Clock
    due: datetime
    at: datetime
    met: bool


def start(at: datetime, target: timedelta) -> ClockRun:
    return ClockRun(start=at, due=at + target)


def target(policy: Policy, clock: Clock, priority: Priority) -> timedelta:
    """The policy's duration for a clock at a priority."""
    t = policy.targets
    match clock:
        case Clock.ACK:
            return t.acknowledge
        case Clock.RESPONSE:
            return t.first_response.for_(priority)
        case Clock.UPDATE:
            return t.progress_update.for_(priority)
        case Clock.RESOLVE:
            return t.resolution.for_(priority)
        case Clock.ESCALATION:
            return policy.escalation.interval
        case Clock.ASSIGN:
            return policy.assignment.retry_every
        case Clock.CALLBACK:
            return policy.feedback.callback_within
        case Clock.FEEDBACK:
            return policy.feedback.no_response_after
    raise ValueError(f"no target for clock {clock}")


def warn_time(run: ClockRun, fraction: float) -> datetime:
    """The reminder time: `fraction` of the way from start to due (80% by default)."""
    return run.start + (run.due - run.start) * fraction


def firings(clocks: Mapping[Clock, ClockRun], fraction: float) -> list[tuple[datetime, Clock, Firing]]:
    """Every future firing of the running clocks, earliest first (reminders before their deadline)."""
    out: list[tuple[datetime, Clock, Firing]] = []
    for clock, run in clocks.items():
        if clock in WARNED and not run.warned:
            out.append((warn_time(run, fraction), clock, Firing.WARN))
        out.append((run.due, clock, Firing.DUE))
    order = list(Clock)
    return sorted(out, key=lambda f: (f[0], f[2] != Firing.WARN, order.index(f[1])))


def next_firing(clocks: Mapping[Clock, ClockRun], fraction: float) -> tuple[datetime, Clock, Firing] | None:
    found = firings(clocks, fraction)
    return found[0] if found else None


def fired(clocks: Mapping[Clock, ClockRun], fraction: float, now: datetime) -> list[tuple[Clock, Firing]]:
    """The firings whose time has come, in order."""
    return [(c, f) for at, c, f in firings(clocks, fraction) if at <= now]


def nearest(times: Iterable[datetime | None]) -> datetime | None:
    present = [t for t in times if t is not None]
    return min(present) if present else None


def shift(run: ClockRun, by: timedelta) -> ClockRun:
    """A paused clock resumes: start and due move by the time paused, so the reminder moves too."""
    return run.model_copy(update={"start": run.start + by, "due": run.due + by})


def extension_refusal(resolve_due: datetime | None, now: datetime, new_due: datetime) -> str | None:
    """Why an extension is refused, or None when it is allowed (before the deadline, to a later time)."""
    if resolve_due is None:
        return "the resolution clock is not running"
    if now >= resolve_due:
        return f"the resolution deadline {resolve_due.isoformat()} has passed; it can no longer be extended"
    if new_due.tzinfo is None:
        return "new_due must carry a time zone"
    if new_due <= resolve_due:
        return f"new_due must be later than the current deadline {resolve_due.isoformat()}"
    return None


_AUDIENCE = {
    Role.AGENT: Audience.MEMBER,
    Role.SUPERVISOR: Audience.TEAM_SUPERVISOR,
    Role.HEAD: Audience.DEPARTMENT_HEAD,
    Role.DIRECTOR: Audience.DIRECTOR,
}


def ladder_audience(policy: Policy, level: int) -> Audience:
    """Who is told at escalation level `level` (1-based: 1 → supervisor, 2 → head, 3 → director)."""
    ladder = policy.escalation.ladder
    return _AUDIENCE[ladder[min(max(level, 1), len(ladder)) - 1]]


def top_level(policy: Policy) -> int:
    return len(policy.escalation.ladder)


def satisfied(policy: Policy, answer: FeedbackAnswer) -> bool:
    """Solved and scored at or above the policy's threshold."""
    return answer.solved and answer.score >= policy.feedback.satisfied_at


def deadlines(
    clocks: Mapping[Clock, ClockRun], held_resolve: ClockRun | None, callback_due: datetime | None
) -> Deadlines:
    """The view of the running clocks; a paused resolution clock shows its frozen due time."""

    def due(c: Clock) -> datetime | None:
        run = clocks.get(c)
        return run.due if run else None

    resolve = due(Clock.RESOLVE) or (held_resolve.due if held_resolve else None)
    return Deadlines(
        ack_due=due(Clock.ACK),
        response_due=due(Clock.RESPONSE),
        resolve_due=resolve,
        update_due=due(Clock.UPDATE),
        escalation_due=due(Clock.ESCALATION),
        callback_due=callback_due,
        feedback_due=due(Clock.FEEDBACK),
    )
