"""An independent oracle for working time: walk minute by minute, asking the calendar's own fields (weekday
spans, holidays, make-up workdays) whether each minute is worked, and compare with `add_working_time`
and `working_time_between` over small generated spans; then SLA-level properties of the reminders."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from domain import sla
from domain.calendar import (
    WEEKDAYS,
    BusinessCalendar,
    Span,
    add_working_time,
    working_time_between,
)
from domain.policy import SHIPPED_POLICY, load_policy

MINUTE = timedelta(minutes=1)
WALK_LIMIT = 30 * 24 * 60  # minutes the oracle walks at most (an example needing more is discarded)
# Zones without daylight saving (a wall-clock span across a DST change has no one obvious length); Kolkata
# for an offset that is not a whole hour.
ZONES = ("Asia/Shanghai", "UTC", "Asia/Kolkata")
CN = load_policy(SHIPPED_POLICY).calendars["cn-business"]


def worked(cal: BusinessCalendar, minute: datetime) -> bool:
    """Whether the minute starting at `minute` is working time, from the calendar's fields alone."""
    local = minute.astimezone(ZoneInfo(cal.timezone))
    day = local.date()
    if day in cal.holidays:
        return False
    spans: tuple[Span, ...] = getattr(cal, WEEKDAYS[day.weekday()])
    if day in cal.makeup_workdays:
        spans = cal.makeup_spans or cal.monday
    of_day = local.hour * 60 + local.minute
    return any(s.start <= of_day < s.end for s in spans)


def oracle_between(cal: BusinessCalendar, a: datetime, b: datetime) -> timedelta:
    count, t = 0, a
    while t < b:
        count += worked(cal, t)
        t += MINUTE
    return count * MINUTE


def oracle_add(cal: BusinessCalendar, start: datetime, minutes: int) -> datetime | None:
    """The end of the `minutes`-th worked minute from `start`; None beyond the walk limit."""
    t = start
    for _ in range(WALK_LIMIT):
        if worked(cal, t):
            minutes -= 1
            if minutes == 0:
                return t + MINUTE
        t += MINUTE
    return None


START_DAY = date(2026, 11, 2)
# Whole minutes (the spans are on whole minutes), over the first week of the holidays' range.
STARTS = st.builds(
    lambda days, minutes: datetime(2026, 11, 2, tzinfo=UTC) + timedelta(days=days, minutes=minutes),
    st.integers(0, 6),
    st.integers(0, 24 * 60 - 1),
)


@st.composite
def day_spans(draw: st.DrawFn) -> tuple[Span, ...]:
    cuts = sorted(draw(st.sets(st.integers(0, 24 * 4), max_size=6)))
    cuts = cuts[: len(cuts) // 2 * 2]
    return tuple(Span(start=a * 15, end=b * 15) for a, b in zip(cuts[::2], cuts[1::2], strict=True))


@st.composite
def calendars(draw: st.DrawFn) -> BusinessCalendar:
    days = {d: draw(day_spans()) for d in WEEKDAYS}
    if not any(days.values()):
        days["wednesday"] = (Span(start=9 * 60, end=17 * 60),)
    # Holidays and make-up days inside the three weeks the walks cross, so they are met, not just listed.
    inside = st.dates(START_DAY - timedelta(days=1), START_DAY + timedelta(days=21))
    holidays = draw(st.sets(inside, max_size=6))
    makeup = draw(st.sets(inside, max_size=3)) - holidays
    return BusinessCalendar(
        timezone=draw(st.sampled_from(ZONES)),
        **days,
        holidays=tuple(sorted(holidays)),
        makeup_workdays=tuple(sorted(makeup)),
        makeup_spans=draw(day_spans()),
    )


@settings(max_examples=150, deadline=None)
@given(cal=calendars(), start=STARTS, minutes=st.integers(1, 2 * 24 * 60))
def test_adding_working_time_agrees_with_the_minute_walk(
    cal: BusinessCalendar, start: datetime, minutes: int
) -> None:
    expected = oracle_add(cal, start, minutes)
    assume(expected is not None)
    assert add_working_time(cal, start, minutes * MINUTE) == expected


@settings(max_examples=150, deadline=None)
@given(cal=calendars(), start=STARTS, length=st.integers(0, 5 * 24 * 60))
def test_measuring_working_time_agrees_with_the_minute_walk(
    cal: BusinessCalendar, start: datetime, length: int
) -> None:
    end = start + length * MINUTE
    assert working_time_between(cal, start, end) == oracle_between(cal, start, end)


def test_the_oracle_knows_the_seed_calendar() -> None:
    """The oracle itself, on cases worked out by hand: Friday 16:00 + 4 h is Monday 11:00 (Shanghai), and
    Friday 16:00 to Monday 16:00 is 2 + 3 + 2.5 = 7.5 working hours."""
    friday = datetime(2026, 11, 20, 16, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert oracle_add(CN, friday, 4 * 60) == datetime(2026, 11, 23, 11, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert oracle_between(CN, friday, friday + timedelta(days=3)) == timedelta(hours=7, minutes=30)


# ---- SLA-level: the reminders of a target --------------------------------------------------------------

FRACTIONS = st.lists(st.floats(0.05, 0.95), min_size=1, max_size=3, unique=True)


@settings(max_examples=150, deadline=None)
@given(
    start=STARTS,
    minutes=st.integers(1, 5 * 24 * 60),
    fractions=FRACTIONS,
)
def test_reminders_come_in_order_before_the_due_time_and_in_working_time(
    start: datetime, minutes: int, fractions: list[float]
) -> None:
    run = sla.start(start, minutes * MINUTE, CN, "cn-business")
    warned = [sla.warn_time(run, f, CN) for f in sorted(fractions)]
    assert warned == sorted(warned)
    assert all(run.start <= w <= run.due for w in warned)
    for f, w in zip(sorted(fractions), warned, strict=True):
        # Inside working time: the instant before it is worked (a reminder may fall at a span's very end).
        assert worked(CN, w - timedelta(microseconds=1))
        # Each falls once that share of the target's working time has been spent (to the second).
        spent = working_time_between(CN, run.start, w)
        assert abs(spent - minutes * MINUTE * f) <= timedelta(seconds=1)
