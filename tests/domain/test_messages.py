"""Message texts: every template renders, facts fill them, unknown templates still say what happened."""

from pathlib import Path

import pytest

from domain.messages import _STAFF, render_call_task, render_customer, render_staff
from domain.notices import NoticesError, by_time, load_notices


@pytest.mark.parametrize("template", sorted(_STAFF))
def test_every_staff_template_renders_with_no_facts(template: str) -> None:
    msg = render_staff(template, "202501-000042", {})
    assert "202501-000042" in msg.body
    assert msg.subject and "{" not in msg.subject + msg.body


@pytest.mark.parametrize("template", sorted(load_notices()))
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


def test_the_received_notice_gives_the_number_and_the_due_times_as_people_write_them() -> None:
    facts = {
        "response_due": "2026-12-04T02:00:00+00:00",
        "resolve_due": "2026-12-07T10:00:00+00:00",
        "tz": "Asia/Shanghai",
    }
    msg = render_customer("received", "202612-000007", facts)
    assert "工单号 202612-000007" in msg.body
    assert "我们将于 12月4日 10:00前 给您答复,预计 12月7日 18:00前 处理完毕" in msg.body
    assert "answer you by 4 Dec 10:00 and expect to resolve it by 7 Dec 18:00" in msg.body


def test_a_deadline_reads_in_the_customers_zone() -> None:
    from datetime import UTC, datetime

    at = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)
    assert by_time(at, "Asia/Shanghai") == ("1月1日 00:30前", "by 1 Jan 00:30")
    assert by_time(at, "Europe/London") == ("12月31日 16:30前", "by 31 Dec 16:30")


def test_the_callback_tells_the_solution_and_the_cause_in_plain_words() -> None:
    facts = {"solution": "已为您补发货物", "cause": "仓库漏发: 拣货单打印失败"}
    msg = render_customer("callback", "T1", facts, "https://x/f/t")
    assert "处理方案:已为您补发货物" in msg.body and "原因:仓库漏发: 拣货单打印失败" in msg.body


def test_a_broken_notices_file_is_refused_naming_it(tmp_path: Path) -> None:
    bad = tmp_path / "notices.toml"
    bad.write_text("[received]\nsubject = 1\n")
    with pytest.raises(NoticesError, match="notices.toml"):
        load_notices(bad)
