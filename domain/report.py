"""The weekly report (seeds 000, 001, 004: 每周《客服问题分析报告》): its ISO week, its figures, its model."""

import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

REPORT_WORKFLOW_NAME = "WeeklyReportWorkflow"
REPORT_KIND = "weekly"
MONTHLY_KIND = "monthly"  # issue 22: the same figures over a calendar month, on its own schedule

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
# What the API's schema accepts; a year's week 53 exists only in some years (NoSuchWeek).
WEEK_PATTERN = r"^[1-9][0-9]{3}-W(0[1-9]|[1-4][0-9]|5[0-3])$"
MONTH_PATTERN = r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])$"
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class WeekError(ValueError):
    """A week that is not `YYYY-Www` or does not exist."""


class NoSuchWeek(WeekError):
    """Written as a week, but the year has no such week (week 53 of a 52-week year)."""


def parse_week(week: str) -> tuple[int, int]:
    """`2026-W47` → (2026, 47); raises WeekError naming the text otherwise."""
    m = _WEEK.match(week)
    if not m:
        raise WeekError(f"{week!r} is not an ISO week (use the form 2026-W47)")
    year, number = int(m.group(1)), int(m.group(2))
    try:
        date.fromisocalendar(year, number, 1)
    except ValueError as e:
        raise NoSuchWeek(f"{week!r}: {year} has no week {number}") from e
    return year, number


def week_bounds(week: str, timezone: str) -> tuple[datetime, datetime]:
    """Monday 00:00 of the week and of the next one, in `timezone` (aware datetimes)."""
    year, number = parse_week(week)
    zone = ZoneInfo(timezone)
    monday = date.fromisocalendar(year, number, 1)
    start = datetime.combine(monday, time(), tzinfo=zone)
    end = datetime.combine(monday + timedelta(days=7), time(), tzinfo=zone)
    return start, end


def week_of(day: date) -> str:
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def previous_week(at: datetime, timezone: str) -> str:
    """The last complete ISO week before `at`, in `timezone`: what Monday's scheduled run reports."""
    local = at.astimezone(ZoneInfo(timezone)).date()
    return week_of(local - timedelta(days=7))


def parse_month(month: str) -> tuple[int, int]:
    """`2026-11` → (2026, 11); raises WeekError naming the text otherwise."""
    m = _MONTH.match(month)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise WeekError(f"{month!r} is not a month (use the form 2026-11)")
    return int(m.group(1)), int(m.group(2))


def month_bounds(month: str, timezone: str) -> tuple[datetime, datetime]:
    """The 1st 00:00 of the month and of the next one, in `timezone` (aware datetimes)."""
    year, number = parse_month(month)
    zone = ZoneInfo(timezone)
    nxt = date(year + 1, 1, 1) if number == 12 else date(year, number + 1, 1)
    return datetime.combine(date(year, number, 1), time(), tzinfo=zone), datetime.combine(
        nxt, time(), tzinfo=zone
    )


def previous_month(at: datetime, timezone: str) -> str:
    """The last complete month before `at`, in `timezone`: what the 1st's scheduled run reports."""
    first = at.astimezone(ZoneInfo(timezone)).date().replace(day=1)
    last = first - timedelta(days=1)
    return f"{last.year}-{last.month:02d}"


def period_bounds(kind: str, period: str, timezone: str) -> tuple[datetime, datetime]:
    return month_bounds(period, timezone) if kind == MONTHLY_KIND else week_bounds(period, timezone)


def previous_period(kind: str, at: datetime, timezone: str) -> str:
    return previous_month(at, timezone) if kind == MONTHLY_KIND else previous_week(at, timezone)


class ReportInput(BaseModel):
    """Workflow input: a period (`None`: the one before the run), its kind, whether to tell supervisors."""

    week: str | None = Field(default=None, description="the period: an ISO week, or a month when monthly")
    notify: bool = True
    kind: str = Field(default=REPORT_KIND, pattern="^(weekly|monthly)$")


class ReportRequest(BaseModel):
    """The build activity's input: the period, or the instant whose previous period to report."""

    week: str | None = None
    at: datetime
    kind: str = REPORT_KIND


class ReportBuilt(BaseModel):
    """What the build activity answers: the week reported, and the teams whose supervisors get the link."""

    week: str
    url: str
    teams: list[str] = []
    opened: int = 0
    closed: int = 0
    inspections: int = 0  # the week's quality-inspection sample offered to the supervisors


class Count(BaseModel):
    key: str
    count: int


class Volume(BaseModel):
    """Tickets opened in the week, by each dimension."""

    total: int = 0
    by_kind: list[Count] = []
    by_category: list[Count] = []
    by_priority: list[Count] = []
    by_channel: list[Count] = []
    by_team: list[Count] = []


class SlaTarget(BaseModel):
    """One target (acknowledge, first response, updates, resolution) over the tickets closed in the week."""

    target: str
    total: int
    met: int
    rate: float | None = Field(description="met / total")


class DurationStat(BaseModel):
    """Median and 90th percentile of one duration, in seconds, over the tickets closed in the week."""

    name: str
    count: int
    median_seconds: float | None = None
    p90_seconds: float | None = None


class EscalationLevel(BaseModel):
    level: int
    escalations: int


class Satisfaction(BaseModel):
    """Answers of the tickets closed in the week: distribution of scores 1–5, average, share satisfied."""

    answered: int = 0
    distribution: dict[int, int] = {}
    average: float | None = None
    satisfied: int = 0
    satisfied_share: float | None = None


class RecurringIssue(BaseModel):
    """A root cause ("what") seen more than once in the week's closed tickets of a category."""

    category: str
    what: str
    count: int


class RootCauseCount(BaseModel):
    factor: str
    category: str
    count: int
    common: int = Field(description="marked common (共性问题) rather than individual")


class IncidentSummary(BaseModel):
    id: int
    category: str
    product: str | None = None
    order_batch: str | None = None
    team: str | None = None
    status: str
    opened_at: datetime
    tickets: int


class TeamLoad(BaseModel):
    """A team's week: tickets opened to it, closed by it, still open at the week's end, closed late."""

    team: str
    opened: int
    closed: int
    open_at_end: int
    breached: int


class TargetBy(BaseModel):
    """One target's attainment within one team or one priority (`key`), over the period's closed tickets."""

    target: str
    key: str
    total: int
    met: int
    rate: float | None = Field(description="met / total")


class AgentFigures(BaseModel):
    """One agent's period: tickets they closed, their median times, their customers' scores."""

    agent: str
    handled: int
    median_response_seconds: float | None = None
    median_resolution_seconds: float | None = None
    csat_answered: int = 0
    csat_average: float | None = None
    inspected: int = Field(default=0, description="quality inspections scored in the period (质检)")
    inspection_average: float | None = Field(default=None, description="mean of the four rubric scores, 1–5")


class AgeBucket(BaseModel):
    """Tickets still open at the period's end, by how long they had been open."""

    bucket: str
    count: int


class CorrectiveFigures(BaseModel):
    """Corrective actions opened and done in the period, and the effect checks made in it."""

    opened: int = 0
    done: int = 0
    effective: int = 0
    not_effective: int = 0


class CollaborationFigures(BaseModel):
    """Requests asked of one team in the period (seeds 002, 004: 需24h内反馈) and how they went."""

    team: str
    asked: int
    answered: int = 0
    on_time: int = Field(default=0, description="answered by their due time")
    escalated: int = Field(default=0, description="sent to the team's supervisor when late")
    late_open: int = Field(default=0, description="not answered and past due when the report was made")
    on_time_rate: float | None = Field(default=None, description="on time / (answered + late and open)")


class CompensationFigures(BaseModel):
    """Compensation on the period's closed tickets of one category, by the month they closed in (in the
    report's time zone), type and currency (seeds 000–002: 退款, 优惠券, 换货, 维修)."""

    month: str
    category: str
    type: str
    currency: str
    offered: int = Field(default=0, description="approved (or within the threshold) and offered")
    offered_amount: Decimal = Decimal(0)
    accepted: int = 0
    accepted_amount: Decimal = Decimal(0)
    declined: int = Field(default=0, description="declined by the customer")


class SuggestionFigures(BaseModel):
    """Suggested answers in the period (seed 004): how often the holder was shown them, used one, and how many
    closed tickets were answered with one's help."""

    shown: int = Field(default=0, description="tickets whose suggestions were first shown in the period")
    used: int = Field(default=0, description="of those, tickets a suggestion was used on by the period's end")
    use_rate: float | None = None
    uses: int = Field(default=0, description="suggestions used in the period (one a ticket and suggestion)")
    closed_with_suggestion: int = Field(default=0, description="closed in the period, a suggestion used")
    closed_with_suggestion_rate: float | None = None


# The backlog's age buckets at the period's end: under a day, 1–3 days, 3–7 days, a week or more.
AGE_BUCKETS = ("<1d", "1-3d", "3-7d", ">=7d")


class WeeklyReport(BaseModel):
    """The whole report, as stored in `reports` and answered by `GET /reports/weekly`."""

    week: str = Field(description="the period: an ISO week, or a month (2026-11) for a monthly report")
    timezone: str
    start: datetime
    end: datetime
    generated_at: datetime
    kind: str = REPORT_KIND
    volume: Volume
    closed: int = 0
    sla: list[SlaTarget] = []
    durations: list[DurationStat] = []
    escalations: list[EscalationLevel] = []
    satisfaction: Satisfaction = Satisfaction()
    reopened: int = 0
    reopen_rate: float | None = None
    no_response: int = 0
    no_response_rate: float | None = None
    feedback_requests: int = 0  # callbacks and second attempts (seed 001: ask twice before no response)
    second_attempts: int = 0  # closed tickets whose customer was asked a second time
    top_issues: list[RecurringIssue] = []
    root_causes: list[RootCauseCount] = []
    incidents: list[IncidentSummary] = []
    teams: list[TeamLoad] = []
    # Issue 22: what a service manager runs on.
    sla_by_team: list[TargetBy] = []
    sla_by_priority: list[TargetBy] = []
    first_contact_resolved: int = Field(default=0, description="closed without reopen or repeat contact")
    first_contact_rate: float | None = None
    repeat_contacts: int = Field(default=0, description="closed tickets the customer contacted again about")
    repeat_contact_rate: float | None = None
    agents: list[AgentFigures] = []
    backlog: list[AgeBucket] = []
    corrective: CorrectiveFigures = CorrectiveFigures()
    # Issue 23: working together and settling.
    collaboration: list[CollaborationFigures] = []
    compensation: list[CompensationFigures] = []
    suggestions: SuggestionFigures = SuggestionFigures()  # issue 21


def share(part: int, whole: int) -> float | None:
    """part / whole to 4 decimals; None when there is nothing to divide."""
    return round(part / whole, 4) if whole else None
