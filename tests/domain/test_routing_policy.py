"""Routing rules, default priorities, policy loading errors naming the bad key, durations."""

from datetime import timedelta
from pathlib import Path

import pytest

from domain.durations import parse_duration
from domain.enums import Category, Kind, Priority
from domain.policy import SHIPPED_POLICY, PolicyError, load_policy
from domain.routing import default_priority, route

POLICY = load_policy(SHIPPED_POLICY)


def test_product_quality_goes_to_tech_with_frontline_collaborating() -> None:
    r = route(POLICY, Kind.FAULT_REPORT, Category.PRODUCT_QUALITY, Priority.HIGH, "standard")
    assert (r.team, r.collaborators) == ("tech", ["frontline"])


def test_unmatched_ticket_goes_to_default_team() -> None:
    assert route(POLICY, Kind.CONSULTATION, Category.HOW_TO, Priority.LOW, "standard").team == "frontline"


def test_vip_complaint_defaults_to_high_others_to_medium() -> None:
    assert default_priority(POLICY, Kind.COMPLAINT, Category.OTHER, "vip") is Priority.HIGH
    assert default_priority(POLICY, Kind.COMPLAINT, Category.OTHER, "standard") is Priority.MEDIUM


def test_bad_policy_names_the_bad_key(tmp_path: Path) -> None:
    bad = tmp_path / "policy.toml"
    bad.write_text('[targets.first_response]\nurgent = "soon"\nhigh = "4h"\nmedium = "1d"\nlow = "2d"\n')
    with pytest.raises(PolicyError, match=r"targets\.first_response\.urgent"):
        load_policy(bad)
    bad.write_text('[escalation]\nintervall = "4h"\n')
    with pytest.raises(PolicyError, match=r"escalation\.intervall"):
        load_policy(bad)


def test_a_hotspot_threshold_past_a_thousand_is_refused_by_name(tmp_path: Path) -> None:
    """The counter carries up to threshold - 1 tickets a group: a threshold of a million let one flood
    grow a window past what a workflow task can count in its 2 s."""
    bad = tmp_path / "policy.toml"
    bad.write_text("[hotspot]\nthreshold = 1000000\n")
    with pytest.raises(PolicyError, match=r"hotspot\.threshold"):
        load_policy(bad)
    bad.write_text("[hotspot]\nthreshold = 1000\n")
    assert load_policy(bad).hotspot.threshold == 1000


def test_durations() -> None:
    assert parse_duration("90s") == timedelta(seconds=90)
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert parse_duration("3d") == timedelta(days=3)
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("2 hours")


def test_tickets_opened_under_one_policy_share_one_snapshot_and_a_changed_policy_has_its_own() -> None:
    from datetime import UTC, datetime

    from domain.ticket import TicketInput

    def decoded(policy_json: str) -> TicketInput:
        """A workflow input as the worker decodes it from its payload."""
        return TicketInput.model_validate_json(
            '{"ticket_no": "T1", "channel": "phone", "kind": "consultation", "category": "other",'
            ' "priority": "medium", "opened_at": "' + datetime.now(UTC).isoformat() + '",'
            ' "customer": {"customer_id": 1, "display_name": "王*", "type": "individual",'
            ' "tier": "standard", "preferred_contact": "phone"}, "policy": ' + policy_json + "}"
        )

    same = POLICY.model_dump_json()
    first, second = decoded(same), decoded(same)
    assert first.policy is second.policy and first.policy == POLICY
    edited = POLICY.model_copy(update={"review": POLICY.review.model_copy(update={"kinds": ()})})
    third = decoded(edited.model_dump_json())
    assert third.policy is not first.policy and third.policy == edited
