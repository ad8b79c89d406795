"""The SLA clock on business calendars: which calendar a target counts in, reminders, pauses, quiet hours."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from domain import sla
from domain.calendar import TWENTY_FOUR_SEVEN, working_time_between
from domain.enums import Priority
from domain.notification import Audience
from domain.policy import SHIPPED_POLICY, Policy, load_policy
from domain.sla import Clock, Firing
from domain.ticket import Deadlines

POLICY = load_policy(SHIPPED_POLICY)
CN = POLICY.calendars["cn-business"]
SH = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH)


def test_calendar_choice_tier_then_priority_then_target_then_default() -> None:
    p = Policy.model_validate(
        {
            "targets": {
                "calendar": {
                    "default": "cn",
                    "targets": {"acknowledge": "24x7"},
                    "priorities": {"urgent": "24x7"},
                    "tiers": {"vip": "24x7"},
                }
            },
            "calendars": {"cn": CN.model_dump()},
        }
    )
    assert sla.calendar_name(p, Clock.RESOLVE, Priority.MEDIUM, "standard") == "cn"
    assert sla.calendar_name(p, Clock.ACK, Priority.MEDIUM, "standard") == "24x7"
    assert sla.calendar_name(p, Clock.RESOLVE, Priority.URGENT, "standard") == "24x7"
    assert sla.calendar_name(p, Clock.RESOLVE, Priority.LOW, "vip") == "24x7"
    assert sla.calendar_name(p, Clock.FEEDBACK, Priority.LOW, "standard") == "24x7"  # not a target
    assert p.uses_calendars()


def test_old_snapshots_load_as_24x7_with_one_reminder() -> None:
    old = Policy.model_validate({"targets": {"warn_at": 0.8, "acknowledge": "PT1H"}})
    assert old.targets.warn_at == (0.8,)
    assert old.targets.calendar.default == "24x7"
    assert not old.uses_calendars()
    assert list(old.calendars) == ["24x7"]


def test_unknown_calendar_names_are_refused() -> None:
    with pytest.raises(ValueError, match="no calendar named nope"):
        Policy.model_validate({"targets": {"calendar": "nope"}})
    with pytest.raises(ValueError, match="no calendar named quiet"):
        Policy.model_validate({"quiet_hours": {"head": "quiet"}})
    with pytest.raises(ValueError):
        Policy.model_validate({"targets": {"warn_at": [0.5, 1.2]}})


def test_default_policy_file() -> None:
    assert POLICY.targets.warn_at == (0.5, 0.8)
    assert sla.calendar_name(POLICY, Clock.RESOLVE, Priority.MEDIUM, "standard") == "cn-business"
    assert sla.calendar_name(POLICY, Clock.RESOLVE, Priority.URGENT, "standard") == "24x7"
    assert sla.calendar_name(POLICY, Clock.RESOLVE, Priority.HIGH, "vip") == "24x7"


def test_two_reminders_in_working_time_each_once() -> None:
    run = sla.start(sh(2026, 11, 20, 16, 0), 4 * H, CN, "cn-business")  # Friday 16:00 → Monday 11:00
    assert run.due == sh(2026, 11, 23, 11, 0)
    clocks = {Clock.RESPONSE: run}
    assert sla.next_firing(clocks, (0.5, 0.8), POLICY.calendars) == (
        sh(2026, 11, 20, 18, 0),
        Clock.RESPONSE,
        Firing.WARN,
    )
    assert sla.mark_warned(run, (0.5, 0.8)) == 0.5 and not run.warned
    # 80% of 4 h = 3 h 12 min: Friday 2 h, Monday 09:00 + 1 h 12 min.
    assert sla.next_firing(clocks, (0.5, 0.8), POLICY.calendars) == (
        sh(2026, 11, 23, 10, 12),
        Clock.RESPONSE,
        Firing.WARN,
    )
    assert sla.mark_warned(run, (0.5, 0.8)) == 0.8 and run.warned
    assert sla.next_firing(clocks, (0.5, 0.8), POLICY.calendars) == (run.due, Clock.RESPONSE, Firing.DUE)


def test_pause_is_subtracted_in_working_time() -> None:
    run = sla.start(sh(2026, 11, 23, 9, 0), 8 * H, CN, "cn-business")  # Monday 7.5 h, Tuesday 09:30
    assert run.due == sh(2026, 11, 24, 9, 30)
    # Paused Monday 17:00 to Tuesday 08:00: one working hour.
    moved = sla.resumed(run, sh(2026, 11, 23, 17, 0), sh(2026, 11, 24, 8, 0), CN)
    assert moved.due == sh(2026, 11, 24, 10, 30)
    assert moved.start == sh(2026, 11, 23, 10, 0)
    # In 24x7 a resume is the old shift by the wall time.
    wall = sla.start(datetime(2026, 1, 1, tzinfo=UTC), 8 * H)
    assert sla.resumed(wall, wall.start, wall.start + 3 * H, TWENTY_FOUR_SEVEN) == sla.shift(wall, 3 * H)


def test_quiet_hours_hold_heads_and_directors_but_not_urgent_tickets() -> None:
    night = sh(2026, 11, 20, 22, 0)  # Friday night
    monday = sh(2026, 11, 23, 9, 0)
    assert sla.held_until(POLICY, Audience.DEPARTMENT_HEAD, Priority.HIGH, night) == monday
    assert sla.held_until(POLICY, Audience.DIRECTOR, Priority.LOW, night) == monday
    assert sla.held_until(POLICY, Audience.DIRECTOR, Priority.URGENT, night) is None
    assert sla.held_until(POLICY, Audience.TEAM_SUPERVISOR, Priority.LOW, night) is None
    assert sla.held_until(POLICY, Audience.DIRECTOR, Priority.LOW, monday) is None


def test_deadlines_in_their_calendar_with_working_time_left() -> None:
    shown = Deadlines(resolve_due=sh(2026, 11, 23, 11, 0), callback_due=sh(2026, 11, 20, 17, 0))
    now = sh(2026, 11, 20, 16, 0)
    got = sla.in_calendars(shown, {"resolve_due": "cn-business"}, POLICY.calendars, now)
    assert [(d.deadline, d.calendar, d.working_seconds_left, d.passed) for d in got] == [
        ("callback_due", "24x7", 3600, False),
        ("resolve_due", "cn-business", 4 * 3600, False),
    ]
    assert got[1].due_local.isoformat() == "2026-11-23T11:00:00+08:00"


STARTS = st.datetimes(datetime(2026, 9, 1), datetime(2027, 3, 1), timezones=st.just(UTC))
SPANS = st.timedeltas(timedelta(0), timedelta(days=20))


@settings(max_examples=200, deadline=None)
@given(opened=STARTS, target=st.timedeltas(timedelta(minutes=1), timedelta(hours=120)), a=SPANS, b=SPANS)
def test_a_pause_keeps_the_working_time_spent_and_left(
    opened: datetime, target: timedelta, a: timedelta, b: timedelta
) -> None:
    run = sla.start(opened, target, CN, "cn-business")
    paused_at, resumed_at = opened + a, opened + a + b
    assume(paused_at < run.due)
    moved = sla.resumed(run, paused_at, resumed_at, CN)
    spent = working_time_between(CN, run.start, paused_at)
    left = working_time_between(CN, paused_at, run.due)
    assert working_time_between(CN, moved.start, moved.due) == target
    assert working_time_between(CN, resumed_at, moved.due) == left
    assert working_time_between(CN, moved.start, resumed_at) == spent
