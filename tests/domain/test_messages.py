"""Message texts: every template renders, facts fill them, unknown templates still say what happened."""

import pytest

from domain.messages import _CUSTOMER, _STAFF, render_call_task, render_customer, render_staff


@pytest.mark.parametrize("template", sorted(_STAFF))
def test_every_staff_template_renders_with_no_facts(template: str) -> None:
    msg = render_staff(template, "202501-000042", {})
    assert "202501-000042" in msg.body
    assert msg.subject and "{" not in msg.subject + msg.body


@pytest.mark.parametrize("template", sorted(_CUSTOMER))
def test_every_customer_template_renders_with_no_facts(template: str) -> None:
    msg = render_customer(template, "202501-000042", {})
    assert "202501-000042" in msg.subject + msg.body
    assert "{" not in msg.subject + msg.body


def test_facts_fill_the_template_and_are_listed() -> None:
    msg = render_staff("escalated", "T1", {"level": "2", "target": "resolution"})
    assert msg.subject == "工单升级 L2: Ticket T1"
    assert "- target: resolution" in msg.body


def test_unknown_template_gets_generic_text_listing_the_facts() -> None:
    msg = render_staff("brand_new_event", "T1", {"b": "2", "a": "1"})
    assert "brand_new_event" in msg.subject
    assert msg.body.endswith("- a: 1\n- b: 2")


def test_facts_with_braces_are_not_format_strings() -> None:
    msg = render_customer("extended", "T1", {"reason": "{level} {0}", "new_due": "明天 18:00"})
    assert "原因:{level} {0}" in msg.body and "明天 18:00" in msg.body


def test_customer_message_lists_only_the_facts_its_template_names() -> None:
    msg = render_customer(
        "callback", "T1", {"assignee": "agent-7", "internal_note": "secret"}, "https://x/f/t"
    )
    assert "agent-7" not in msg.body and "secret" not in msg.body
    assert "https://x/f/t" in msg.body


def test_call_task_carries_the_masked_customer_and_what_it_is_about() -> None:
    msg = render_call_task("callback", "T1", {}, "李*", "138****5678")
    assert "李*" in msg.body and "138****5678" in msg.body and "- about: callback" in msg.body
