"""Routing: which team leads a ticket (and which collaborate), and the priority when none was given."""

from pydantic import BaseModel

from domain.enums import Category, Kind, Priority
from domain.policy import Policy


class Route(BaseModel):
    """The lead team and the teams it works with."""

    team: str
    collaborators: list[str] = []


def _matches(wanted: tuple[object, ...], value: object) -> bool:
    # An empty list in a rule means "any".
    return not wanted or value in wanted


def route(policy: Policy, kind: Kind, category: Category, priority: Priority, tier: str) -> Route:
    """The first routing rule matching kind, category, priority and customer tier; else the default team."""
    for rule in policy.routing.rules:
        if (
            _matches(rule.kinds, kind)
            and _matches(rule.categories, category)
            and _matches(rule.priorities, priority)
            and _matches(rule.tiers, tier)
        ):
            return Route(team=rule.team, collaborators=[t for t in rule.collaborators if t != rule.team])
    return Route(team=policy.routing.default_team)


def default_priority(policy: Policy, kind: Kind, category: Category, tier: str) -> Priority:
    """The priority of the first matching policy rule, for tickets opened without one."""
    for rule in policy.priorities.rules:
        if _matches(rule.kinds, kind) and _matches(rule.categories, category) and _matches(rule.tiers, tier):
            return rule.priority
    return policy.priorities.default


def supervisor_alerts(
    policy: Policy, priority: Priority, kind: Kind, repeat_count: int, needs_triage: bool = False
) -> list[str]:
    """Why the lead team's supervisor hears of a new ticket at once (seeds 000, 003, 004); empty: no need."""
    reasons = []
    if priority in policy.intake.tell_supervisor_priorities:
        reasons.append(priority.value)
    if kind in policy.intake.tell_supervisor_kinds:
        reasons.append(kind.value)
    if repeat_count >= policy.customers.tell_supervisor_at_repeat:
        reasons.append("repeat_contact")
    if needs_triage:  # the desk could not tell what it is: a person sorts it
        reasons.append("needs_triage")
    return reasons
