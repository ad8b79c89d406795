"""`ticketflow policy check`: what a policy file means once loaded, one `key = value` line per number."""

from typing import Any

from domain.policy import Policy, policy_hash, routed_teams


def _flatten(prefix: str, value: Any) -> list[str]:
    if isinstance(value, dict):
        return [line for k, v in value.items() for line in _flatten(f"{prefix}.{k}" if prefix else k, v)]
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return [line for i, v in enumerate(value) for line in _flatten(f"{prefix}[{i}]", v)]
    return [f"{prefix} = {value}"]


def effective_numbers(policy: Policy) -> list[str]:
    """Every value the processes will use, defaults included; calendars as their zone and day counts."""
    data = policy.model_dump(mode="json", exclude={"calendars"})
    lines = _flatten("", data)
    for name, calendar in sorted(policy.calendars.items()):
        lines.append(
            f"calendars.{name} = {calendar.timezone}: {len(calendar.holidays)} holidays,"
            f" {len(calendar.makeup_workdays)} make-up workdays"
        )
    lines.append(f"teams routed to = {', '.join(routed_teams(policy))}")
    lines.append(f"hash = {policy_hash(policy)}")
    return lines
