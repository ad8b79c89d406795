"""Business calendars: working spans per weekday, holidays, make-up workdays; working-time arithmetic."""

# Workflow code calls these functions, so `_zone` keeps one ZoneInfo per name for the process: the tz file
# is read once, and replay sees the same rules (docs/decisions.md, "Time zones in workflow code").

import functools
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_serializer, model_validator

ALWAYS = "24x7"
_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})\s*$")
_DAY = 24 * 60
# A calendar without a single working minute in this many days is a policy error, not a long wait.
_HORIZON_DAYS = 3 * 366
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class Span(BaseModel):
    """One working span of a day in local minutes, `09:00-12:00`; the end may be `24:00`."""

    model_config = ConfigDict(frozen=True)

    start: int = Field(ge=0, le=_DAY)
    end: int = Field(ge=0, le=_DAY)

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        if isinstance(value, str):
            m = _SPAN.match(value)
            if not m:
                raise ValueError(f"{value!r} is not a span (use 09:00-12:00)")
            h1, m1, h2, m2 = (int(g) for g in m.groups())
            if m1 > 59 or m2 > 59:
                raise ValueError(f"{value!r}: minutes run 00-59")
            return {"start": h1 * 60 + m1, "end": h2 * 60 + m2}
        return value

    @model_validator(mode="after")
    def _ordered(self) -> "Span":
        if self.end <= self.start:
            raise ValueError(f"span {self} ends before it starts")
        return self

    @model_serializer
    def _text(self) -> str:
        return str(self)

    def __str__(self) -> str:
        return f"{self.start // 60:02d}:{self.start % 60:02d}-{self.end // 60:02d}:{self.end % 60:02d}"


Spans = tuple[Span, ...]


class BusinessCalendar(BaseModel):
    """When the clock runs: spans per weekday in `timezone`, minus holidays, plus make-up workdays (调休).

    A make-up workday is worked with `makeup_spans`, or Monday's spans when that is left empty.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Checked by `load_policy` (and `warm_zones`), not here: snapshots are validated inside sandboxes.
    timezone: str = Field(default="UTC", min_length=1)
    monday: Spans = ()
    tuesday: Spans = ()
    wednesday: Spans = ()
    thursday: Spans = ()
    friday: Spans = ()
    saturday: Spans = ()
    sunday: Spans = ()
    holidays: tuple[date, ...] = ()
    makeup_workdays: tuple[date, ...] = ()
    makeup_spans: Spans = ()

    @model_validator(mode="after")
    def _consistent(self) -> "BusinessCalendar":
        for name in (*WEEKDAYS, "makeup_spans"):
            spans: Spans = getattr(self, name)
            for a, b in zip(spans, spans[1:], strict=False):
                if b.start < a.end:
                    raise ValueError(f"{name}: spans must be in order and must not overlap ({a}, {b})")
        both = set(self.holidays) & set(self.makeup_workdays)
        if both:
            raise ValueError(f"dates both holiday and make-up workday: {sorted(both)}")
        return self

    @classmethod
    def always(cls) -> "BusinessCalendar":
        """The `24x7` calendar: every minute counts."""
        full = (Span(start=0, end=_DAY),)
        return cls(**{d: full for d in WEEKDAYS})

    # Derived once per instance (build a changed calendar with model_validate, not model_copy(update=)).
    _always: bool = PrivateAttr(default=False)
    _holiday_set: frozenset[date] = PrivateAttr(default=frozenset())
    _makeup_set: frozenset[date] = PrivateAttr(default=frozenset())
    _week: tuple[Spans, ...] = PrivateAttr(default=())

    def model_post_init(self, context: Any, /) -> None:
        full = (Span(start=0, end=_DAY),)
        # Every weekday 00:00-24:00 and no holidays: consecutive local midnights are consecutive instants
        # whatever the zone, so working time is plain elapsed time.
        self._always = all(getattr(self, d) == full for d in WEEKDAYS) and not self.holidays
        self._holiday_set = frozenset(self.holidays)
        self._makeup_set = frozenset(self.makeup_workdays)
        self._week = tuple(getattr(self, d) for d in WEEKDAYS)

    @property
    def is_always(self) -> bool:
        return self._always

    def spans_on(self, day: date) -> Spans:
        """The local working spans of one date."""
        # One read of the private dict: pydantic resolves each private attribute through __getattr__, and
        # deadline loops call this for every day they cross.
        private: dict[str, Any] = self.__pydantic_private__ or {}
        if day in private["_holiday_set"]:
            return ()
        if day in private["_makeup_set"]:
            return self.makeup_spans or self.monday
        spans: Spans = private["_week"][day.weekday()]
        return spans


TWENTY_FOUR_SEVEN = BusinessCalendar.always()


@functools.lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone(name: str) -> ZoneInfo:
    """The process-wide `ZoneInfo` of a zone name (see the module docstring)."""
    return _zone(name)


def warm_zones(names: Iterable[str]) -> None:
    """Load each zone once, outside any workflow; raises ValueError naming an unknown zone."""
    for name in names:
        try:
            _zone(name)
        except (KeyError, ValueError) as e:  # ZoneInfoNotFoundError is a KeyError
            raise ValueError(f"unknown time zone {name!r}") from e


def _local_instant(day: date, minute: int, zone: ZoneInfo) -> datetime:
    if minute == _DAY:
        day, minute = day + timedelta(days=1), 0
    # fold=0: a wall time repeated by a DST fall-back is its first occurrence; one skipped by spring-forward
    # is read with the offset before the change, i.e. it lands just after the gap.
    local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)
    return local.astimezone(UTC)


def intervals_on(cal: BusinessCalendar, day: date) -> list[tuple[datetime, datetime]]:
    """The working intervals of one local date as UTC instants, in order; empty ones (DST gaps) dropped."""
    return list(_utc_intervals(cal.timezone, day, cal.spans_on(day)))


# Pure in its arguments, so one cache serves every ticket and calendar of the process (deadline loops ask for
# the same days over and over).
@functools.lru_cache(maxsize=8192)
def _utc_intervals(timezone: str, day: date, spans: Spans) -> tuple[tuple[datetime, datetime], ...]:
    tz = _zone(timezone)
    out: list[tuple[datetime, datetime]] = []
    for span in spans:
        a, b = _local_instant(day, span.start, tz), _local_instant(day, span.end, tz)
        if out and a < out[-1][1]:
            a = out[-1][1]
        if b > a:
            out.append((a, b))
    return tuple(out)


def _intervals_from(cal: BusinessCalendar, at: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Working intervals that end after `at`, in order, from the local date of `at` on."""
    day = at.astimezone(_zone(cal.timezone)).date()
    idle = 0
    while True:
        found = False
        for a, b in intervals_on(cal, day):
            if b > at:
                found = True
                yield a, b
        idle = 0 if found else idle + 1
        if idle > _HORIZON_DAYS:
            raise ValueError(f"calendar has no working time within {_HORIZON_DAYS} days of {at.isoformat()}")
        day += timedelta(days=1)


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{at.isoformat()} has no time zone")
    return at.astimezone(UTC)


def add_working_time(cal: BusinessCalendar, start: datetime, amount: timedelta) -> datetime:
    """The earliest instant at which `amount` of working time has passed since `start`.

    A positive amount always ends inside a working span or at its end; zero gives `start` back.
    """
    if amount < timedelta(0):
        raise ValueError("amount must not be negative")
    if cal.is_always or amount == timedelta(0):
        return start + amount  # exactly the wall-clock arithmetic: 24x7 tickets keep their old deadlines
    at = _aware(start)
    left = amount
    for a, b in _intervals_from(cal, at):
        begin = max(a, at)
        if left <= b - begin:
            return begin + left
        left -= b - begin
    raise AssertionError("unreachable: _intervals_from never ends")


def working_time_between(cal: BusinessCalendar, a: datetime, b: datetime) -> timedelta:
    """Working time in [a, b); zero when b is not after a."""
    if b <= a:
        return timedelta(0)
    if cal.is_always:
        return b - a
    start, end = _aware(a), _aware(b)
    total = timedelta(0)
    for x, y in _intervals_from(cal, start):
        if x >= end:
            break
        total += min(y, end) - max(x, start)
    return total


def is_working(cal: BusinessCalendar, at: datetime) -> bool:
    """Whether `at` falls inside a working span (start included, end excluded)."""
    if cal.is_always:
        return True
    t = _aware(at)
    day = t.astimezone(_zone(cal.timezone)).date()
    return any(x <= t < y for d in (day - timedelta(days=1), day) for x, y in intervals_on(cal, d))


def next_working_start(cal: BusinessCalendar, at: datetime) -> datetime:
    """`at` itself when it is working time, else the start of the next working span."""
    if is_working(cal, at):
        return at
    t = _aware(at)
    for x, _ in _intervals_from(cal, t):
        if x > t:
            return x
    raise AssertionError("unreachable: _intervals_from never ends")
