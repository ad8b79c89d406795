"""Mutation check of the rule numbers: each changed in a copy of the policy, its tests run, survivors named.

For every number of DESIGN.md's rules table (the rows of tests/domain/test_policy_numbers.py) this writes a
copy of `domain/policy.toml` with that one value changed, runs the behaviour tests said to hold it with
`TICKETFLOW_TEST_POLICY` pointing at the copy (tests/policies.py), and reports the mutants the tests let
through. A rule number whose change leaves its tests green is not pinned; the exit status is the number of
survivors (0: every number is held by a test that fails when it changes).

    .venv/bin/python -m tests.mutate_policy            # every mutant (`make mutants`)
    .venv/bin/python -m tests.mutate_policy retention  # only the mutants whose key contains "retention"
"""

import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from domain.policy import SHIPPED_POLICY, load_policy
from tests.domain.test_policy_numbers import RULES
from tests.policies import TEST_POLICY_ENV

ROOT = Path(__file__).resolve().parent.parent

LIFE = "tests/workflows/test_lifecycle.py::test_"
ESC = "tests/workflows/test_escalation.py::test_"
SATISFIED = LIFE + "satisfied_customer_closes_and_archives_once_releasing_the_assignee"
URGENT_INTAKE = LIFE + "urgent_intake_notifies_the_team_supervisor_at_once"
UNACKNOWLEDGED = LIFE + "unacknowledged_after_1h_supervisor_told_and_ticket_reoffered_to_next_member"
REMINDER = LIFE + "reminder_to_assignee_at_80_percent_of_medium_24h_first_response"
PAUSE = LIFE + "waiting_customer_pauses_72h_resolution_clock_and_resume_moves_it_by_time_paused"
EXTENSION = LIFE + "extension_before_deadline_tells_customer_new_eta_and_reason_after_deadline_refused"
DISSATISFIED = LIFE + "dissatisfied_reopens_one_priority_up_supervisor_told_resolution_due_in_24h"
NO_ANSWER = LIFE + "no_answer_in_72h_is_asked_again_by_a_call_then_closes_as_no_response_24h_later"
LADDER = ESC + "high_priority_breaching_4h_first_response_escalates_supervisor_4h_head_8h_director_12h"
URGENT_UPDATE = (
    ESC + "urgent_ticket_owes_a_progress_update_every_12h_a_missed_one_escalates_to_the_supervisor"
)  # noqa: E501
MEDIUM_BREACH = ESC + "medium_ticket_unresolved_at_72h_breaches_resolution_and_escalates_from_that_time"
LOW_RESPONSE = ESC + "low_priority_first_response_is_due_in_48h_and_its_breach_escalates_from_then"
CADENCE = ESC + "a_progress_update_is_owed_24h_after_the_last_one_for_every_priority_but_urgent[{}]"
REPEAT = "tests/api/test_customers.py::test_a_repeat_is_the_same_category_within_7_days_and_not_a_day_after"
HOTSPOT = "tests/insights/test_hotspot_rules.py::test_the_policy_under_test_crosses_at_the_fifth_ticket_within_two_hours_and_not_beyond"  # noqa: E501
SCHEDULES = "tests/cli/test_schedules.py::test_purge_daily_and_report_monday_nine_in_the_policy_zone"


@dataclass(frozen=True)
class Mutant:
    """`key` (dotted, as in policy.toml) set to `value` (TOML text); `tests` must fail under it."""

    key: str
    value: str
    tests: tuple[str, ...]


def _m(key: str, value: str, *tests: str) -> Mutant:
    return Mutant(key, value, tests)


MUTANTS: list[Mutant] = [
    _m("targets.acknowledge", '"45m"', UNACKNOWLEDGED),
    _m("targets.acknowledge", '"2h"', UNACKNOWLEDGED),
    _m("targets.first_response.urgent", '"3h"', URGENT_INTAKE),
    _m("targets.first_response.high", '"5h"', LADDER),
    _m("targets.first_response.medium", '"20h"', REMINDER),
    _m("targets.first_response.low", '"36h"', LOW_RESPONSE),
    _m("targets.resolution.urgent", '"30h"', URGENT_INTAKE),
    _m("targets.resolution.high", '"36h"', EXTENSION),
    _m("targets.resolution.medium", '"60h"', PAUSE, MEDIUM_BREACH),
    _m("targets.resolution.low", '"96h"', LOW_RESPONSE),
    _m("targets.progress_update.urgent", '"10h"', URGENT_UPDATE),
    _m("targets.progress_update.high", '"20h"', CADENCE.format("high")),
    _m("targets.progress_update.medium", '"20h"', CADENCE.format("medium")),
    _m("targets.progress_update.low", '"20h"', CADENCE.format("low")),
    _m("escalation.ladder", '["head", "supervisor", "director"]', LADDER),
    _m("escalation.interval", '"5h"', LADDER),
    _m("intake.tell_supervisor_priorities", "[]", URGENT_INTAKE),
    _m("feedback.callback_within", '"2h"', SATISFIED),
    _m("feedback.no_response_after", '"48h"', NO_ANSWER),
    _m("feedback.satisfied_at", "5", SATISFIED),
    _m("feedback.satisfied_at", "3", DISSATISFIED),
    _m("feedback.reopen_resolution", '"12h"', DISSATISFIED),
    _m("feedback.attempts", "1", NO_ANSWER),
    _m("feedback.second_attempt_within", '"12h"', NO_ANSWER),
    _m("customers.repeat_window", '"6d"', REPEAT),
    _m("customers.repeat_window", '"8d"', REPEAT),
    _m("hotspot.threshold", "4", HOTSPOT),
    _m("hotspot.threshold", "6", HOTSPOT),
    _m("hotspot.window", '"1h"', HOTSPOT),
    _m("hotspot.window", '"3h"', HOTSPOT),
    _m("retention.keep", '"365d"', SCHEDULES),
    _m("retention.purge_hour", "4", SCHEDULES),
    _m("report.timezone", '"Asia/Tokyo"', SCHEDULES),
    _m("report.weekday", "2", SCHEDULES),
    _m("report.hour", "10", SCHEDULES),
]


def mutated(text: str, key: str, value: str) -> str:
    """The policy text with `key` set to `value`: the line `name = …` of its `[section]`, comment kept."""
    section, name = key.rsplit(".", 1)
    lines = text.splitlines(keepends=True)
    current = None
    for i, line in enumerate(lines):
        header = re.match(r"\s*\[([^\[\]]+)\]", line)
        if header:
            current = header.group(1).strip()
            continue
        found = re.match(rf"(\s*{re.escape(name)}\s*=\s*)([^#\n]*?)(\s*(#.*)?\n?)$", line)
        if current == section and found:
            lines[i] = found.group(1) + value + found.group(3)
            return "".join(lines)
    raise KeyError(f"{key} is not stated in {SHIPPED_POLICY}")


def _get(obj: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def _pytest(tests: tuple[str, ...], policy: Path | None) -> tuple[bool, str]:
    """Run the tests (under the policy copy when given): whether they passed, and the first failure."""
    env = {k: v for k, v in os.environ.items() if k != TEST_POLICY_ENV}
    if policy is not None:
        env[TEST_POLICY_ENV] = str(policy)
    args = [sys.executable, "-m", "pytest", "-q", "-x", "-rf", "-p", "no:cacheprovider", *tests]
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    failed = [line for line in done.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
    last = done.stdout.strip().splitlines()[-1:] or [""]
    return done.returncode == 0, failed[0] if failed else last[0]


def main(argv: list[str]) -> int:
    only = argv[0] if argv else ""
    chosen = [m for m in MUTANTS if only in m.key]
    unmutated = {key for key, _, _ in RULES} - {m.key for m in MUTANTS}
    if unmutated and not only:
        print(f"numbers of the rules table without a mutant: {', '.join(sorted(unmutated))}")
        return len(unmutated)
    shipped = load_policy(SHIPPED_POLICY)
    text = SHIPPED_POLICY.read_text(encoding="utf-8")
    every = tuple(dict.fromkeys(t for m in chosen for t in m.tests))
    ok, why = _pytest(every, None)
    if not ok:
        print(f"the tests fail on the shipped policy, so no mutant can be judged: {why}")
        return 1
    survivors = 0
    with tempfile.TemporaryDirectory(prefix="tfmut") as tmp:
        for n, m in enumerate(chosen, 1):
            copy = Path(tmp) / f"policy-{n}.toml"
            copy.write_text(mutated(text, m.key, m.value), encoding="utf-8")
            # The mutant must load and differ from the shipped policy at that key, or it proves nothing.
            assert _get(load_policy(copy), m.key) != _get(shipped, m.key), m
            started = time.monotonic()
            ok, why = _pytest(m.tests, copy)
            survivors += ok
            verdict = "SURVIVED" if ok else "killed  "
            print(f"{verdict} {m.key} = {m.value}  ({time.monotonic() - started:.0f} s)  {'' if ok else why}")
            sys.stdout.flush()
    print(f"{len(chosen)} mutants, {len(chosen) - survivors} killed, {survivors} survived")
    return survivors


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
