"""Every number of DESIGN.md's rules table, checked against the seeds' figures in both places it lives:
the shipped `domain/policy.toml` and the code defaults of `Policy()`, so the two can never drift apart.

The behaviour tests that fail when one of these numbers changes are listed in `tests/mutate_policy.py`.
"""

import tomllib
from datetime import timedelta
from typing import Any

import pytest

from domain.enums import Priority, Role
from domain.policy import SHIPPED_POLICY, Policy, load_policy
from domain.retention import PurgeInput

H = timedelta(hours=1)

# (dotted key in policy.toml, the seeds' figure, where it comes from)
RULES: list[tuple[str, Any, str]] = [
    ("targets.acknowledge", 1 * H, "001: 处理人需在1小时内确认接收工单"),
    ("targets.first_response.urgent", 2 * H, "000: 紧急问题2小时内响应"),
    ("targets.first_response.high", 4 * H, "000: 高优先级4小时内"),
    ("targets.first_response.medium", 24 * H, "000: 中优先级24小时内"),
    ("targets.first_response.low", 48 * H, "000: 低优先级48小时内"),
    ("targets.resolution.urgent", 24 * H, "002: P1 24小时内给出初步解决方案"),
    ("targets.resolution.high", 48 * H, "002: P2 48小时内给出解决方案"),
    ("targets.resolution.medium", 72 * H, "002: P3 72小时内解决"),
    ("targets.resolution.low", 120 * H, "ours: low is below P3's 72 h"),
    ("targets.progress_update.urgent", 12 * H, "002: P1级问题每12小时"),
    ("targets.progress_update.high", 24 * H, "000/002: 每24小时更新处理进展"),
    ("targets.progress_update.medium", 24 * H, "000/002: 每24小时更新处理进展"),
    ("targets.progress_update.low", 24 * H, "000/002: 每24小时更新处理进展"),
    ("escalation.ladder", (Role.SUPERVISOR, Role.HEAD, Role.DIRECTOR), "000/002: 主管 → 部门负责人 → 总监"),
    ("escalation.interval", 4 * H, "000/002: each level 4 h after the one before"),
    ("intake.tell_supervisor_priorities", (Priority.URGENT,), "000: 紧急问题需同步上报客服主管"),
    ("feedback.callback_within", 1 * H, "001: 在1小时内联系客户"),
    ("feedback.no_response_after", 72 * H, "ours: Zendesk-style auto-close"),
    ("feedback.satisfied_at", 4, "004: 客户满意度(1-5分), 4 and 5 satisfied"),
    ("feedback.reopen_resolution", 24 * H, "002: 24小时内制定改进方案"),
    ("feedback.attempts", 2, "001: 避免未确认满意度即归档, a second attempt first"),
    ("feedback.second_attempt_within", 24 * H, "001: the call, then closing a day later"),
    ("customers.repeat_window", timedelta(days=7), "003: 是否曾反馈过类似问题, within 7 days"),
    ("hotspot.threshold", 5, "003: 近2小时内有5名用户反馈同一问题"),
    ("hotspot.window", 2 * H, "003: 近2小时内"),
    ("retention.keep", timedelta(days=730), "001: 保存期限不少于2年"),
    ("retention.purge_hour", 3, "ours: the purge runs at 03:00 local, when nobody works"),
    ("report.timezone", "Asia/Shanghai", "the desk's local time"),
    ("report.weekday", 1, "weekly report on Monday (ISO 1)"),
    ("report.hour", 9, "weekly report at 09:00"),
]


def _get(obj: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        obj = obj[part] if isinstance(obj, dict) else getattr(obj, part)
    return obj


SHIPPED = load_policy(SHIPPED_POLICY)
RAW = tomllib.loads(SHIPPED_POLICY.read_text(encoding="utf-8"))


@pytest.mark.parametrize(("key", "figure", "seed"), RULES, ids=[r[0] for r in RULES])
def test_shipped_policy_and_code_defaults_both_hold_the_seeds_figure(
    key: str, figure: Any, seed: str
) -> None:
    _get(RAW, key)  # stated in the file itself, not left to the code default
    assert _get(SHIPPED, key) == figure, f"policy.toml {key} is not the seed's figure ({seed})"
    assert _get(Policy(), key) == figure, f"Policy() default {key} is not the seed's figure ({seed})"


def test_every_duration_and_count_of_the_policy_file_is_in_the_table() -> None:
    """A number added to the policy's rule sections without a row here (and a mutant) fails this test."""
    rule_sections = ("targets", "escalation", "feedback", "hotspot", "retention", "report")
    ignored = {
        "targets.warn_at",  # when to remind, not a seed figure: test_business_calendar.py pins it
        "targets.calendar",  # names, not numbers: test_sla_calendar.py
        "feedback.link_valid_for",  # how long a signed link works: test_feedback_link.py
        "targets.extension_limit",  # the desk's own bound, not a seed figure: test_sla.py pins it
        "report.top_issues",  # a list's length
    }

    def leaves(node: Any, prefix: str) -> list[str]:
        if isinstance(node, dict):
            return [k for key, v in node.items() for k in leaves(v, f"{prefix}.{key}" if prefix else key)]
        return [prefix]

    stated = {k for s in rule_sections for k in leaves(RAW[s], s)}
    stated = {k for k in stated if not any(k == i or k.startswith(i + ".") for i in ignored)}
    assert stated - {key for key, _, _ in RULES} == set()


def test_the_purge_input_defaults_to_the_policy_retention() -> None:
    """A third home of the 730 days: a purge started without the schedule's argument keeps as long."""
    assert PurgeInput().keep == Policy().retention.keep == timedelta(days=730)
