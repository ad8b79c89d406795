"""The service policy: every number of the rules table, loaded from a TOML file and validated.

A copy is snapshotted into each ticket at intake, so a policy change never alters a running ticket.
"""

import hashlib
import tomllib
from datetime import timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from domain.calendar import ALWAYS, TWENTY_FOUR_SEVEN, BusinessCalendar, warm_zones
from domain.collaboration import CollaborationPolicy
from domain.compensation import CompensationPolicy
from domain.durations import Duration
from domain.enums import Category, Kind, Priority, Role


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PerPriority(_Strict):
    """One duration per priority."""

    urgent: Duration
    high: Duration
    medium: Duration
    low: Duration

    def for_(self, priority: Priority) -> timedelta:
        value: timedelta = getattr(self, priority.value)
        return value


TARGET_NAMES = ("acknowledge", "first_response", "resolution", "progress_update", "escalation")


class CalendarChoice(_Strict):
    """Which calendar a target counts in: `targets.calendar = "cn-business"`, or a table of overrides.

    The most specific match wins: customer tier, then priority, then the target, then `default`.
    A policy without this section counts every target in `24x7`, as tickets always did.
    """

    default: str = ALWAYS
    targets: dict[str, str] = {}  # acknowledge / first_response / resolution / progress_update / escalation
    priorities: dict[Priority, str] = {}
    tiers: dict[str, str] = {}

    @field_validator("targets")
    @classmethod
    def _known_targets(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(TARGET_NAMES))
        if unknown:
            raise ValueError(f"no target named {', '.join(unknown)} (targets: {', '.join(TARGET_NAMES)})")
        return value

    def name_for(self, target: str, priority: Priority, tier: str) -> str:
        return (
            self.tiers.get(tier) or self.priorities.get(priority) or self.targets.get(target) or self.default
        )

    def names(self) -> set[str]:
        return {self.default, *self.targets.values(), *self.priorities.values(), *self.tiers.values()}


class Targets(_Strict):
    acknowledge: Duration = timedelta(hours=1)  # seed 001: 处理人需在1小时内确认接收工单
    first_response: PerPriority = PerPriority(
        urgent=timedelta(hours=2),
        high=timedelta(hours=4),
        medium=timedelta(hours=24),
        low=timedelta(hours=48),
    )
    resolution: PerPriority = PerPriority(
        urgent=timedelta(hours=24),
        high=timedelta(hours=48),
        medium=timedelta(hours=72),
        low=timedelta(hours=120),
    )
    progress_update: PerPriority = PerPriority(
        urgent=timedelta(hours=12),
        high=timedelta(hours=24),
        medium=timedelta(hours=24),
        low=timedelta(hours=24),
    )
    # One fraction (older policies and snapshots: `warn_at = 0.8`) or several (`[0.5, 0.8]`), each sent once.
    warn_at: tuple[float, ...] = Field(default=(0.8,), description="fractions of a target at which to remind")
    calendar: CalendarChoice = CalendarChoice()
    # A promise the desk can keep: an extension's new time lies within this span from now.
    extension_limit: Duration = timedelta(days=30)

    @field_validator("warn_at", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return (value,) if isinstance(value, int | float) else value

    @field_validator("warn_at")
    @classmethod
    def _fractions(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if not value or any(not 0 < f < 1 for f in value):
            raise ValueError("warn_at: one or more fractions, each between 0 and 1")
        return tuple(sorted(set(value)))

    @field_validator("calendar", mode="before")
    @classmethod
    def _calendar_name(cls, value: object) -> object:
        return {"default": value} if isinstance(value, str) else value


class Escalation(_Strict):
    ladder: tuple[Role, ...] = (Role.SUPERVISOR, Role.HEAD, Role.DIRECTOR)
    interval: Duration = timedelta(hours=4)


class Review(_Strict):
    """Seed 002: the supervisor approves the solution before the customer is told."""

    priorities: tuple[Priority, ...] = (Priority.URGENT,)
    kinds: tuple[Kind, ...] = (Kind.COMPLAINT,)

    def required(self, priority: Priority, kind: Kind) -> bool:
        return priority in self.priorities or kind in self.kinds


class RootCausePolicy(_Strict):
    """Seed 003 traces the cause of complaints and faults; seed 000 calls it optional for the rest."""

    required_for: tuple[Kind, ...] = (Kind.COMPLAINT, Kind.FAULT_REPORT)


class CorrectivePolicy(_Strict):
    """Seeds 003, 004: a corrective action is reminded before its due date and its effect checked later."""

    remind_before: tuple[Duration, ...] = (timedelta(days=3), timedelta(days=1))
    effect_after: Duration = timedelta(days=30)  # the effect check compares this long after against before
    min_reduction: float = Field(default=0.0, ge=0.0, lt=1.0, description="fall in the rate that counts")
    reopen_for: Duration = timedelta(days=14)  # the new due date of an action found not effective


class InspectionPolicy(_Strict):
    """Seeds 003, 004 (质检): each week, this many of every agent's closed tickets go to their supervisor."""

    per_agent: int = Field(default=3, ge=0, le=100)


class Feedback(_Strict):
    callback_within: Duration = timedelta(hours=1)
    no_response_after: Duration = timedelta(hours=72)
    satisfied_at: int = Field(default=4, ge=1, le=5, description="lowest score that counts as satisfied")
    reopen_resolution: Duration = timedelta(hours=24)
    link_valid_for: Duration = timedelta(days=7)
    # Seed 001 (避免未确认满意度即归档): unanswered, the customer is asked once more, by a call, first.
    attempts: int = Field(default=2, ge=1, le=2, description="requests before closing as no response")
    second_attempt_within: Duration = timedelta(hours=24)


class Customers(_Strict):
    """Seed 003: one customer across tickets (是否曾反馈过类似问题)."""

    repeat_window: Duration = timedelta(days=7)  # same customer and category within it: a repeat contact
    tell_supervisor_at_repeat: int = Field(default=2, ge=1)  # the second repeat tells the lead supervisor
    follow_up_within: Duration = timedelta(days=7)  # a message after close opens a linked follow-up


class Intake(_Strict):
    """Who hears of a new ticket at once, beyond its assignee."""

    # Seed 004: 投诉类上报客服主管; seed 000: 紧急问题需同步上报客服主管.
    tell_supervisor_kinds: tuple[Kind, ...] = (Kind.COMPLAINT,)
    tell_supervisor_priorities: tuple[Priority, ...] = (Priority.URGENT,)


class Assignment(_Strict):
    # A queued ticket is woken when a slot frees; this backstop catches directory edits made in SQL.
    retry_every: Duration = timedelta(minutes=30)


class RoutingRule(_Strict):
    """First matching rule picks the lead team; an empty list matches anything."""

    kinds: tuple[Kind, ...] = ()
    categories: tuple[Category, ...] = ()
    priorities: tuple[Priority, ...] = ()
    tiers: tuple[str, ...] = ()
    team: str = Field(min_length=1)
    collaborators: tuple[str, ...] = ()


class Routing(_Strict):
    default_team: str = "frontline"
    rules: tuple[RoutingRule, ...] = ()


class PriorityRule(_Strict):
    """Sets the priority when the integrator leaves it out; first match wins."""

    kinds: tuple[Kind, ...] = ()
    categories: tuple[Category, ...] = ()
    tiers: tuple[str, ...] = ()
    priority: Priority


class Priorities(_Strict):
    default: Priority = Priority.MEDIUM
    rules: tuple[PriorityRule, ...] = ()


class KeywordRule(_Strict):
    """Words that, found in a customer's text, say its category and/or kind (seeds 000, 003: 系统分类)."""

    keywords: tuple[str, ...] = Field(min_length=1)
    category: Category | None = None
    kind: Kind | None = None

    @model_validator(mode="after")
    def _says_something(self) -> "KeywordRule":
        if self.category is None and self.kind is None:
            raise ValueError("a keyword rule names a category, a kind or both")
        return self


class Classification(_Strict):
    """Intake without a category or kind: keyword rules first, then the desk's trained classifier; a field
    less sure than `threshold` falls back to the triage value and the ticket is marked `needs_triage`."""

    threshold: float = Field(default=0.5, ge=0, le=1)
    rule_confidence: float = Field(default=0.9, ge=0, le=1, description="how sure a keyword match is")
    triage_category: Category = Category.OTHER
    triage_kind: Kind = Kind.CONSULTATION
    # The schedule `<prefix>-classifier-training` retrains on the shipped contacts and the desk's own (filed
    # by a person) this often and stores the model; every API process loads the newest within a minute.
    retrain_every: Duration = timedelta(days=7)
    desk_examples: int = Field(default=5_000, ge=0, le=100_000, description="newest desk contacts trained on")
    rules: tuple[KeywordRule, ...] = ()


class Policy(_Strict):
    """The whole policy; every field has the seeds' default."""

    targets: Targets = Targets()
    escalation: Escalation = Escalation()
    review: Review = Review()
    root_cause: RootCausePolicy = RootCausePolicy()
    corrective: CorrectivePolicy = CorrectivePolicy()
    inspection: InspectionPolicy = InspectionPolicy()
    feedback: Feedback = Feedback()
    assignment: Assignment = Assignment()
    customers: Customers = Customers()
    intake: Intake = Intake()
    routing: Routing = Routing()
    priorities: Priorities = Priorities()
    classification: Classification = Classification()
    hotspot: "Hotspot" = Field(default_factory=lambda: Hotspot())
    retention: "Retention" = Field(default_factory=lambda: Retention())
    report: "ReportPolicy" = Field(default_factory=lambda: ReportPolicy())
    compensation: CompensationPolicy = CompensationPolicy()
    collaboration: CollaborationPolicy = CollaborationPolicy()
    # Named business calendars; `24x7` is always there. Snapshots without them count in 24x7.
    calendars: dict[str, BusinessCalendar] = Field(default_factory=lambda: {ALWAYS: TWENTY_FOUR_SEVEN})
    # Recipient role → the calendar of hours they may be disturbed in; other notifications to them are held
    # until the start of its next working span (urgent tickets excepted). Empty: nobody is held.
    quiet_hours: dict[Role, str] = {}

    @model_validator(mode="after")
    def _ladder_not_empty(self) -> "Policy":
        if not self.escalation.ladder:
            raise ValueError("escalation.ladder must name at least one role")
        return self

    @model_validator(mode="after")
    def _calendars_named(self) -> "Policy":
        if ALWAYS not in self.calendars:
            # Frozen model: the dict itself is ours to complete, the field is not reassigned.
            self.calendars[ALWAYS] = TWENTY_FOUR_SEVEN
        named = self.targets.calendar.names() | set(self.quiet_hours.values())
        missing = sorted(named - set(self.calendars))
        if missing:
            raise ValueError(f"no calendar named {', '.join(missing)} in [calendars]")
        return self

    def calendar(self, name: str) -> BusinessCalendar:
        return self.calendars.get(name, TWENTY_FOUR_SEVEN)

    def uses_calendars(self) -> bool:
        """Whether anything here differs from the wall-clock rules every ticket had before calendars."""
        return (
            any(not self.calendar(n).is_always for n in self.targets.calendar.names())
            or bool(self.quiet_hours)
            or len(self.targets.warn_at) > 1
        )


MAX_HOTSPOT_THRESHOLD = 1_000


class Hotspot(_Strict):
    """Seed 003: this many tickets of one category (and product / order batch when named) within `window`."""

    # At most a thousand: the counter keeps up to threshold - 1 tickets a group and carries them across
    # runs; with no ceiling a flood grew one window past the workflow's payload and time limits.
    threshold: int = Field(default=5, ge=2, le=MAX_HOTSPOT_THRESHOLD)
    window: Duration = timedelta(hours=2)


class Retention(_Strict):
    """Seed 001: archived tickets are kept at least this long, then purged by a daily schedule."""

    keep: Duration = timedelta(days=730)
    purge_hour: int = Field(default=3, ge=0, le=23, description="local hour (report.timezone) of the purge")


class ReportPolicy(_Strict):
    """When the weekly report runs (ISO weekday 1 = Monday, local hour) and how long its lists are."""

    # Checked where it is used (schedules, report weeks), not here: policy snapshots are validated inside
    # workflow sandboxes, where reading the zone database is no business of a validator.
    timezone: str = Field(default="Asia/Shanghai", min_length=1)
    weekday: int = Field(default=1, ge=1, le=7)
    hour: int = Field(default=9, ge=0, le=23)
    top_issues: int = Field(default=10, ge=1, le=100)


Policy.model_rebuild()


_SHARED: dict[str, Policy] = {}
_SHARED_MAX = 256  # distinct snapshots kept; more (a policy edited thousands of times) starts afresh


def shared(policy: Policy) -> Policy:
    """The one instance of this policy in the process: an equal snapshot decoded again is the same frozen
    object, so tickets opened under one policy share it instead of each holding its own parsed copy."""
    key = policy.model_dump_json()
    if len(_SHARED) >= _SHARED_MAX and key not in _SHARED:
        _SHARED.clear()
    return _SHARED.setdefault(key, policy)


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the file and the bad key."""


# The shipped default policy, package data beside this module; a file named by a setting overrides it.
SHIPPED_POLICY = Path(__file__).with_name("policy.toml")


def load_policy(path: Path | str | None = None) -> Policy:
    """The policy in `path`, or the shipped one; PolicyError names the file and the bad key."""
    path = Path(path) if path is not None else SHIPPED_POLICY
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise PolicyError(f"policy file {path} does not exist") from e
    except tomllib.TOMLDecodeError as e:
        raise PolicyError(f"policy file {path} is not valid TOML: {e}") from e
    try:
        policy = Policy.model_validate(raw)
        warm_zones(c.timezone for c in policy.calendars.values())
        return policy
    except ValueError as e:
        if not isinstance(e, ValidationError):
            raise PolicyError(f"policy file {path}: calendars: {e}") from e
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}" for err in e.errors()
        )
        raise PolicyError(f"policy file {path}: {problems}") from e


def policy_hash(policy: Policy) -> str:
    """A short fingerprint of the effective policy (every value after defaults), the same in every process
    that loaded it: `/readyz` and the start-up logs show it, so a fleet on mixed policies is seen."""
    return hashlib.sha256(policy.model_dump_json().encode()).hexdigest()[:16]


def routed_teams(policy: Policy) -> list[str]:
    """Every team id the policy routes to: each must be in the directory, or its tickets wait unassigned."""
    teams = {policy.routing.default_team}
    for rule in policy.routing.rules:
        teams |= {rule.team, *rule.collaborators}
    return sorted(teams)
