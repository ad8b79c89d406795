"""Working-time arithmetic: examples from the seeds' calendar, and properties over generated calendars."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.calendar import (
    TWENTY_FOUR_SEVEN,
    WEEKDAYS,
    BusinessCalendar,
    Span,
    add_working_time,
    intervals_on,
    is_working,
    next_working_start,
    working_time_between,
)
from domain.policy import SHIPPED_POLICY, load_policy

CN = load_policy(SHIPPED_POLICY).calendars["cn-business"]
SH = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
H = timedelta(hours=1)

BERLIN_OFFICE = BusinessCalendar(
    timezone="Europe/Berlin",
    # 01:00-04:00 on Sundays straddles both DST changes (last Sunday of March and of October).
    **{d: ("08:00-12:00", "13:00-17:00") for d in WEEKDAYS[:5]},
    sunday=("01:00-04:00",),
    holidays=(date(2026, 12, 25), date(2026, 12, 26), date(2027, 1, 1)),
)


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH)


# ---- examples -------------------------------------------------------------------------------------


def test_four_working_hours_from_friday_16h_is_monday_11h() -> None:
    assert add_working_time(CN, sh(2026, 11, 20, 16, 0), 4 * H) == sh(2026, 11, 23, 11, 0)


def test_lunch_break_does_not_count() -> None:
    assert add_working_time(CN, sh(2026, 11, 23, 11, 0), 2 * H) == sh(2026, 11, 23, 14, 30)
    assert working_time_between(CN, sh(2026, 11, 23, 11, 0), sh(2026, 11, 23, 14, 30)) == 2 * H


def test_national_day_week_is_skipped_and_the_make_up_saturday_counts() -> None:
    # Wed 2026-09-30 17:00 + 2h: 1h that day, Oct 1-7 off, Thu Oct 8 09:00-10:00.
    assert add_working_time(CN, sh(2026, 9, 30, 17, 0), 2 * H) == sh(2026, 10, 8, 10, 0)
    # Fri Oct 9 17:00 + 2h: Sat Oct 10 is a make-up workday.
    assert add_working_time(CN, sh(2026, 10, 9, 17, 0), 2 * H) == sh(2026, 10, 10, 10, 0)
    # Sun 2026-09-20 is a make-up workday too: Fri 18 17:00 + 2h lands on it.
    assert add_working_time(CN, sh(2026, 9, 18, 17, 0), 2 * H) == sh(2026, 9, 20, 10, 0)


def test_year_ends() -> None:
    # 2026-2027: Fri Jan 1 2027 off, weekend, Monday Jan 4.
    assert add_working_time(CN, sh(2026, 12, 31, 17, 0), 2 * H) == sh(2027, 1, 4, 10, 0)
    # 2025-2026: Jan 1-3 off, Sunday Jan 4 2026 is a make-up workday.
    assert add_working_time(CN, sh(2025, 12, 31, 17, 0), 2 * H) == sh(2026, 1, 4, 10, 0)


def test_spring_festival_2026() -> None:
    # Fri 1 h, Sat Feb 14 is worked (7.5 h), Feb 15-23 off, Tue Feb 24 back.
    assert add_working_time(CN, sh(2026, 2, 13, 17, 0), 9 * H) == sh(2026, 2, 24, 9, 30)


def test_berlin_dst_days_are_23_and_25_hours_long() -> None:
    always_berlin = BusinessCalendar.model_validate(
        {"timezone": "Europe/Berlin", "holidays": [date(2030, 1, 1)]} | {d: ["00:00-24:00"] for d in WEEKDAYS}
    )
    spring, autumn = date(2026, 3, 29), date(2026, 10, 25)
    for day, hours in ((spring, 23), (autumn, 25)):
        (a, b), *_ = intervals_on(always_berlin, day)
        assert b - a == timedelta(hours=hours)
    # The Sunday 01:00-04:00 span is two hours on the spring day (02:00-03:00 does not exist), four in autumn.
    assert sum((b - a for a, b in intervals_on(BERLIN_OFFICE, spring)), timedelta()) == 2 * H
    assert sum((b - a for a, b in intervals_on(BERLIN_OFFICE, autumn)), timedelta()) == 4 * H
    start = datetime(2026, 3, 29, 0, 30, tzinfo=BERLIN)
    assert add_working_time(BERLIN_OFFICE, start, 90 * timedelta(minutes=1)) == datetime(
        2026, 3, 29, 3, 30, tzinfo=BERLIN
    )


def test_24x7_is_wall_clock_arithmetic() -> None:
    t = datetime(2026, 5, 1, 3, 17, 5, 123, tzinfo=UTC)
    assert add_working_time(TWENTY_FOUR_SEVEN, t, 13 * H) == t + 13 * H
    assert working_time_between(TWENTY_FOUR_SEVEN, t, t + 13 * H) == 13 * H


def test_quiet_hours_release_at_the_next_span() -> None:
    assert not is_working(CN, sh(2026, 9, 30, 22, 0))
    assert next_working_start(CN, sh(2026, 9, 30, 22, 0)) == sh(2026, 10, 8, 9, 0)
    assert next_working_start(CN, sh(2026, 10, 8, 12, 15)) == sh(2026, 10, 8, 13, 30)
    assert next_working_start(CN, sh(2026, 10, 8, 10, 0)) == sh(2026, 10, 8, 10, 0)


def test_bad_inputs() -> None:
    with pytest.raises(ValueError):
        add_working_time(CN, sh(2026, 1, 5, 9, 0), -H)
    with pytest.raises(ValueError):
        add_working_time(CN, datetime(2026, 1, 5, 9, 0), H)
    with pytest.raises(ValueError):
        BusinessCalendar(monday=("12:00-13:00", "09:00-12:30"))
    with pytest.raises(ValueError):
        BusinessCalendar(holidays=(date(2026, 1, 4),), makeup_workdays=(date(2026, 1, 4),))


# ---- properties -----------------------------------------------------------------------------------

ZONES = ("Asia/Shanghai", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC")


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
    dates = st.dates(date(2026, 11, 1), date(2027, 3, 1))
    holidays = draw(st.sets(dates, max_size=20))
    makeup = draw(st.sets(dates, max_size=6)) - holidays
    return BusinessCalendar(
        timezone=draw(st.sampled_from(ZONES)),
        **days,
        holidays=tuple(sorted(holidays)),
        makeup_workdays=tuple(sorted(makeup)),
        makeup_spans=draw(day_spans()),
    )


ANY_CALENDAR = st.one_of(st.just(CN), st.just(BERLIN_OFFICE), calendars())
# Year ends, Spring Festival, both Berlin DST changes of 2026 and the spring one of 2027.
STARTS = st.datetimes(datetime(2026, 3, 1), datetime(2027, 4, 1), timezones=st.just(UTC))
AMOUNTS = st.timedeltas(timedelta(0), timedelta(hours=400))


def _inside(cal: BusinessCalendar, t: datetime) -> bool:
    local = t.astimezone(ZoneInfo(cal.timezone)).date()
    days = (local - timedelta(days=1), local)
    return any(a < t <= b for d in days for a, b in intervals_on(cal, d))


@settings(max_examples=300, deadline=None)
@given(cal=ANY_CALENDAR, start=STARTS, amount=AMOUNTS)
def test_adding_then_measuring_gives_the_amount_back(
    cal: BusinessCalendar, start: datetime, amount: timedelta
) -> None:
    due = add_working_time(cal, start, amount)
    assert due >= start
    assert working_time_between(cal, start, due) == amount


@settings(max_examples=300, deadline=None)
@given(cal=ANY_CALENDAR, start=STARTS, amount=AMOUNTS.filter(lambda d: d > timedelta(0)))
def test_a_deadline_never_falls_outside_working_hours(
    cal: BusinessCalendar, start: datetime, amount: timedelta
) -> None:
    due = add_working_time(cal, start, amount)
    assert _inside(cal, due)
    local = due.astimezone(ZoneInfo(cal.timezone))
    # Not on a holiday (a span ending at 24:00 may end exactly at the next midnight).
    assert local.date() not in cal.holidays or local.time().isoformat() == "00:00:00"


@settings(max_examples=200, deadline=None)
@given(cal=ANY_CALENDAR, start=STARTS, a=AMOUNTS, b=AMOUNTS)
def test_adding_in_two_steps_is_adding_once(
    cal: BusinessCalendar, start: datetime, a: timedelta, b: timedelta
) -> None:
    assert add_working_time(cal, add_working_time(cal, start, a), b) == add_working_time(cal, start, a + b)


@settings(max_examples=200, deadline=None)
@given(cal=ANY_CALENDAR, t=STARTS)
def test_holidays_never_count_and_make_up_days_do(cal: BusinessCalendar, t: datetime) -> None:
    day = t.astimezone(ZoneInfo(cal.timezone)).date()
    worked = intervals_on(cal, day)
    if day in cal.holidays:
        assert worked == []
    elif day in cal.makeup_workdays and (cal.makeup_spans or cal.monday):
        assert worked
    total = sum((b - a for a, b in worked), timedelta())
    assert working_time_between(cal, worked[0][0], worked[-1][1]) == total if worked else True


@settings(max_examples=200, deadline=None)
@given(cal=ANY_CALENDAR, t=STARTS)
def test_the_next_working_start_is_working_time(cal: BusinessCalendar, t: datetime) -> None:
    nxt = next_working_start(cal, t)
    assert nxt >= t
    assert is_working(cal, nxt)
    assert working_time_between(cal, t, nxt) == timedelta(0)


@settings(max_examples=100, deadline=None)
@given(start=STARTS, amount=AMOUNTS)
def test_24x7_in_any_zone_is_elapsed_time(start: datetime, amount: timedelta) -> None:
    berlin_always = BusinessCalendar.model_validate(
        {**TWENTY_FOUR_SEVEN.model_dump(), "timezone": "Europe/Berlin"}
    )
    assert berlin_always.is_always
    assert add_working_time(berlin_always, start, amount) == start + amount
