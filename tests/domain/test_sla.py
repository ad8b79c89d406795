"""The SLA clock rules: targets per priority, reminders at 80%, pause arithmetic, extension, the ladder."""

from datetime import UTC, datetime, timedelta

from domain import sla
from domain.actions import FeedbackAnswer
from domain.enums import Priority
from domain.notification import Audience
from domain.policy import SHIPPED_POLICY, Policy, load_policy
from domain.sla import Clock, Firing

T0 = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
P = Policy()


def test_first_response_and_resolution_targets_per_priority() -> None:
    assert sla.target(P, Clock.RESPONSE, Priority.URGENT) == timedelta(hours=2)
    assert sla.target(P, Clock.RESPONSE, Priority.HIGH) == timedelta(hours=4)
    assert sla.target(P, Clock.RESOLVE, Priority.MEDIUM) == timedelta(hours=72)
    assert sla.target(P, Clock.UPDATE, Priority.URGENT) == timedelta(hours=12)
    assert sla.target(P, Clock.ACK, Priority.LOW) == timedelta(hours=1)
    assert sla.target(P, Clock.FEEDBACK, Priority.LOW) == timedelta(hours=72)


def test_reminder_fires_at_80_percent_before_the_deadline() -> None:
    clocks = {Clock.RESPONSE: sla.start(T0, timedelta(hours=4))}
    assert sla.next_firing(clocks, 0.8) == (T0 + timedelta(hours=3, minutes=12), Clock.RESPONSE, Firing.WARN)
    clocks[Clock.RESPONSE].warned = True
    assert sla.next_firing(clocks, 0.8) == (T0 + timedelta(hours=4), Clock.RESPONSE, Firing.DUE)


def test_escalation_and_feedback_clocks_have_no_reminder() -> None:
    clocks = {Clock.ESCALATION: sla.start(T0, timedelta(hours=4))}
    assert sla.firings(clocks, 0.8) == [(T0 + timedelta(hours=4), Clock.ESCALATION, Firing.DUE)]


def test_pause_moves_start_and_due_by_time_paused() -> None:
    run = sla.start(T0, timedelta(hours=72))
    moved = sla.shift(run, timedelta(hours=10))
    assert moved.due == T0 + timedelta(hours=82)
    assert sla.warn_time(moved, 0.8) == sla.warn_time(run, 0.8) + timedelta(hours=10)


LIMIT = timedelta(days=30)


def test_extension_only_before_the_deadline_and_to_a_later_time() -> None:
    due = T0 + timedelta(hours=48)
    assert sla.extension_refusal(due, T0, due + timedelta(hours=1), LIMIT) is None
    assert "has passed" in (sla.extension_refusal(due, due, due + timedelta(hours=1), LIMIT) or "")
    assert "later" in (sla.extension_refusal(due, T0, due - timedelta(hours=1), LIMIT) or "")


def test_an_extension_reaches_at_most_30_days_ahead_so_no_ticket_is_promised_for_centuries() -> None:
    due = T0 + timedelta(hours=48)
    assert Policy().targets.extension_limit == load_policy(SHIPPED_POLICY).targets.extension_limit == LIMIT
    assert sla.extension_refusal(due, T0, T0 + LIMIT, LIMIT) is None
    refused = sla.extension_refusal(due, T0, T0 + LIMIT + timedelta(seconds=1), LIMIT)
    assert refused == f"new_due must lie within 30 days from now, by {(T0 + LIMIT).isoformat()}"


def test_ladder_supervisor_head_director() -> None:
    assert [sla.ladder_audience(P, n) for n in (1, 2, 3)] == [
        Audience.TEAM_SUPERVISOR,
        Audience.DEPARTMENT_HEAD,
        Audience.DIRECTOR,
    ]
    assert sla.top_level(P) == 3


def test_satisfied_needs_solved_and_score_at_threshold() -> None:
    assert sla.satisfied(P, FeedbackAnswer(solved=True, score=4))
    assert not sla.satisfied(P, FeedbackAnswer(solved=True, score=3))
    assert not sla.satisfied(P, FeedbackAnswer(solved=False, score=5))


def test_paused_resolution_shows_its_frozen_due() -> None:
    held = sla.start(T0, timedelta(hours=72))
    assert sla.deadlines({}, held, None).resolve_due == T0 + timedelta(hours=72)
