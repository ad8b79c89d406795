"""The SLA clock: deadlines as data, which one fires next, what a firing means, pause/resume arithmetic."""

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel

from domain.actions import FeedbackAnswer
from domain.calendar import (
    ALWAYS,
    TWENTY_FOUR_SEVEN,
    BusinessCalendar,
    add_working_time,
    next_working_start,
    working_time_between,
    zone,
)
from domain.enums import Priority, Role
from domain.notification import Audience
from domain.policy import Policy
from domain.ticket import Deadlines


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
    CALL = "call"  # a call task: the holder calls a customer no message reaches
    APPROVAL = "approval"  # a compensation awaits a supervisor's approval


# Targets whose assignee gets a reminder at warn_at of the target (seed 000: 预警).
WARNED = frozenset({Clock.ACK, Clock.RESPONSE, Clock.UPDATE, Clock.RESOLVE})
# Targets whose breach climbs the escalation ladder.
ESCALATING = frozenset({Clock.RESPONSE, Clock.UPDATE, Clock.RESOLVE})


class Firing(StrEnum):
    WARN = "warn"
    DUE = "due"


class ClockRun(BaseModel):
    """One running clock: when it started and when it is due; whether its reminders went out."""

    start: datetime
    due: datetime
    warned: bool = False  # every reminder of this run has gone out
    calendar: str = ALWAYS  # the policy calendar the clock counts in
    warns: int = 0  # reminders sent so far, one per fraction of targets.warn_at


class Outcome(BaseModel):
    """A target that ended: met or missed, for the archive and the weekly report."""

    clock: Clock
    due: datetime
    at: datetime
    met: bool


Calendars = Mapping[str, BusinessCalendar]
Fractions = float | Sequence[float]

# The policy target each clock's calendar is chosen for; the other clocks always count in 24x7.
_TARGET_NAME = {
    Clock.ACK: "acknowledge",
    Clock.RESPONSE: "first_response",
    Clock.UPDATE: "progress_update",
    Clock.RESOLVE: "resolution",
    Clock.ESCALATION: "escalation",
}


def start(
    at: datetime, target: timedelta, cal: BusinessCalendar | None = None, name: str = ALWAYS
) -> ClockRun:
    """A clock started at `at`, due once `target` of working time in `cal` (wall time without one) passed."""
    if cal is None:
        return ClockRun(start=at, due=at + target)
    return ClockRun(start=at, due=add_working_time(cal, at, target), calendar=name)


def calendar_name(policy: Policy, clock: Clock, priority: Priority, tier: str) -> str:
    """The calendar `clock` counts in for a ticket of this priority and customer tier."""
    target = _TARGET_NAME.get(clock)
    return ALWAYS if target is None else policy.targets.calendar.name_for(target, priority, tier)


def _cal(calendars: Calendars | None, name: str) -> BusinessCalendar:
    return (calendars or {}).get(name, TWENTY_FOUR_SEVEN)


def _fractions(fraction: Fractions) -> tuple[float, ...]:
    return (float(fraction),) if isinstance(fraction, int | float) else tuple(fraction)


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
        case Clock.CALLBACK | Clock.CALL:
            return policy.feedback.callback_within
        case Clock.FEEDBACK:
            return policy.feedback.no_response_after
        case Clock.APPROVAL:
            return policy.compensation.approval_within
    raise ValueError(f"no target for clock {clock}")


def warn_time(run: ClockRun, fraction: float, cal: BusinessCalendar | None = None) -> datetime:
    """The reminder time: `fraction` of the working time from start to due (of the wall time in 24x7)."""
    if cal is None or cal.is_always:
        return run.start + (run.due - run.start) * fraction
    return add_working_time(cal, run.start, working_time_between(cal, run.start, run.due) * fraction)


def firings(
    clocks: Mapping[Clock, ClockRun], fraction: Fractions, calendars: Calendars | None = None
) -> list[tuple[datetime, Clock, Firing]]:
    """Every future firing of the running clocks, earliest first (reminders before their deadline).

    `fraction` is `targets.warn_at`: each clock's next unsent reminder is at the next of its fractions.
    """
    fractions = _fractions(fraction)
    out: list[tuple[datetime, Clock, Firing]] = []
    for clock, run in clocks.items():
        if clock in WARNED and not run.warned and run.warns < len(fractions):
            out.append(
                (warn_time(run, fractions[run.warns], _cal(calendars, run.calendar)), clock, Firing.WARN)
            )
        out.append((run.due, clock, Firing.DUE))
    order = list(Clock)
    return sorted(out, key=lambda f: (f[0], f[2] != Firing.WARN, order.index(f[1])))


def next_firing(
    clocks: Mapping[Clock, ClockRun], fraction: Fractions, calendars: Calendars | None = None
) -> tuple[datetime, Clock, Firing] | None:
    found = firings(clocks, fraction, calendars)
    return found[0] if found else None


def mark_warned(run: ClockRun, fraction: Fractions) -> float:
    """One more reminder of `run` went out; which fraction it was for."""
    fractions = _fractions(fraction)
    sent = fractions[min(run.warns, len(fractions) - 1)]
    run.warns += 1
    run.warned = run.warns >= len(fractions)
    return sent


def nearest(times: Iterable[datetime | None]) -> datetime | None:
    present = [t for t in times if t is not None]
    return min(present) if present else None


def shift(run: ClockRun, by: timedelta) -> ClockRun:
    """A paused clock resumes: start and due move by the time paused, so the reminder moves too."""
    return run.model_copy(update={"start": run.start + by, "due": run.due + by})


def resumed(run: ClockRun, paused_at: datetime, now: datetime, cal: BusinessCalendar) -> ClockRun:
    """A clock held from `paused_at` to `now` resumes: start and due move on by the working time paused.

    In 24x7 that is `shift` by the wall time. Otherwise the clock keeps the working time it had spent and the
    working time it had left: moving both ends by the same working amount keeps them (see calendar.py).
    """
    if cal.is_always:
        return shift(run, now - paused_at)
    paused = working_time_between(cal, paused_at, now)
    return run.model_copy(
        update={
            "start": add_working_time(cal, run.start, paused),
            "due": add_working_time(cal, run.due, paused),
        }
    )


_ROLE_OF = {
    Audience.TEAM_SUPERVISOR: Role.SUPERVISOR,
    Audience.DEPARTMENT_HEAD: Role.HEAD,
    Audience.DIRECTOR: Role.DIRECTOR,
}


def held_until(policy: Policy, audience: Audience, priority: Priority, at: datetime) -> datetime | None:
    """When a notification to `audience` at `at` may go out, if its quiet hours hold it; None: send now.

    Urgent tickets always go through.
    """
    role = _ROLE_OF.get(audience)
    name = policy.quiet_hours.get(role) if role is not None else None
    if name is None or priority is Priority.URGENT:
        return None
    release = next_working_start(policy.calendar(name), at)
    return release if release > at else None


def extension_refusal(
    resolve_due: datetime | None, now: datetime, new_due: datetime, limit: timedelta
) -> str | None:
    """Why an extension is refused, or None when it is allowed (before the deadline, to a later time within
    `limit` from now)."""
    if resolve_due is None:
        return "the resolution clock is not running"
    if now >= resolve_due:
        return f"the resolution deadline {resolve_due.isoformat()} has passed; it can no longer be extended"
    if new_due.tzinfo is None:
        return "new_due must carry a time zone"
    if new_due <= resolve_due:
        return f"new_due must be later than the current deadline {resolve_due.isoformat()}"
    if new_due > now + limit:
        return f"new_due must lie within {limit.days} days from now, by {(now + limit).isoformat()}"
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


_DEADLINE_OF = {
    Clock.ACK: "ack_due",
    Clock.RESPONSE: "response_due",
    Clock.RESOLVE: "resolve_due",
    Clock.UPDATE: "update_due",
    Clock.ESCALATION: "escalation_due",
    Clock.FEEDBACK: "feedback_due",
    Clock.CALL: "call_due",
    Clock.APPROVAL: "approval_due",
}


def deadline_calendars(clocks: Mapping[Clock, ClockRun], held_resolve: ClockRun | None) -> dict[str, str]:
    """Each shown deadline (`resolve_due`, ...) → the calendar its clock counts in."""
    out = {_DEADLINE_OF[c]: run.calendar for c, run in clocks.items() if c in _DEADLINE_OF}
    if held_resolve is not None and Clock.RESOLVE not in clocks:
        out["resolve_due"] = held_resolve.calendar
    return out


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
        call_due=due(Clock.CALL),
        approval_due=due(Clock.APPROVAL),
    )


class DeadlineInCalendar(BaseModel):
    """One deadline as its ticket's calendar shows it, and the working time left before it."""

    deadline: str  # the Deadlines field: ack_due, response_due, resolve_due, ...
    due: datetime
    calendar: str
    timezone: str
    due_local: datetime  # `due` in the calendar's zone
    working_seconds_left: int  # 0 once it has passed; for a paused clock, counted as if it ran from now
    passed: bool


def in_calendars(
    shown: Deadlines, calendar_of: Mapping[str, str], calendars: Calendars, now: datetime
) -> list[DeadlineInCalendar]:
    """Each set deadline in its calendar, soonest first; a calendar unknown to `calendars` reads as 24x7."""
    out: list[DeadlineInCalendar] = []
    for field, due in shown.model_dump().items():
        if due is None:
            continue
        name = calendar_of.get(field, ALWAYS)
        cal = calendars.get(name, TWENTY_FOUR_SEVEN)
        left = working_time_between(cal, now, due)
        out.append(
            DeadlineInCalendar(
                deadline=field,
                due=due,
                calendar=name,
                timezone=cal.timezone,
                due_local=due.astimezone(zone(cal.timezone)),
                working_seconds_left=int(left.total_seconds()),
                passed=due <= now,
            )
        )
    return sorted(out, key=lambda d: d.due)


def due_from(policy: Policy, clock: Clock, priority: Priority, tier: str, at: datetime) -> datetime:
    """When `clock` started at `at` falls due in its calendar (what the ticket workflow will compute)."""
    name = calendar_name(policy, clock, priority, tier)
    return start(at, target(policy, clock, priority), policy.calendar(name), name).due
