"""Suggested answers (seed 004: 咨询类直接依据知识库解答): for a ticket, the articles and the resolved tickets
most like it, each with a score and why; which one its holder used is recorded."""

from datetime import datetime

import asyncpg
import httpx
from temporalio.testing import WorkflowEnvironment

from tests.api.conftest import Keys, headers
from tests.api.test_tickets import _assignee_key, _awaiting_feedback, _open

PAYMENT = {
    "question": "付款页面一直转圈怎么办?",
    "answer": "请退出APP重新登录后再付款;仍然转圈请提供订单号,我们为您清理支付会话。",
    "category": "system_fault",
}


async def test_the_holder_sees_articles_and_similar_resolved_tickets_each_with_why_and_the_use_is_recorded(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    made = await api.post("/kb/articles", json=PAYMENT, headers=headers(keys.agent))
    article_id = made.json()["id"]
    await api.post(f"/kb/articles/{article_id}/publish", headers=headers(keys.supervisor))
    solved = await _awaiting_feedback(api, keys, env)  # "付款页面一直转圈 …", solved and its cause given
    view = await _open(api, keys, env)  # the same words, a new customer
    holder = headers(_assignee_key(keys, view))
    r = await api.get(f"/tickets/{view.ticket_no}/suggestions", headers=holder)
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["articles"][0]["article_id"] == article_id and "转圈" in got["articles"][0]["why"]
    assert "【转圈】" in got["articles"][0]["question"] and got["articles"][0]["score"] > 0
    similar = {t["ticket_no"]: t for t in got["tickets"]}
    assert solved.ticket_no in similar and view.ticket_no not in similar
    best = similar[solved.ticket_no]
    assert best["solution"] == solved.solution and best["root_cause"]["why"] == "stale entry"
    assert "付款" in best["why"] and "same category" in best["why"]
    assert best["score"] == max(t["score"] for t in got["tickets"])

    use = {"source": "article", "ref": str(article_id)}
    first = await api.post(f"/tickets/{view.ticket_no}/suggestions/used", json=use, headers=holder)
    again = await api.post(f"/tickets/{view.ticket_no}/suggestions/used", json=use, headers=holder)
    assert first.status_code == again.status_code == 200
    assert first.json()["first_used_at"] == again.json()["first_used_at"]
    listed = await api.get(f"/tickets/{view.ticket_no}/suggestions", headers=holder)
    assert listed.json()["used"] == [f"article:{article_id}"]
    # Shown twice, counted once for the reports: the first time.
    shown = await pool.fetch(
        "SELECT first_shown_at FROM suggestion_shown WHERE ticket_no = $1", view.ticket_no
    )
    assert len(shown) == 1 and shown[0]["first_shown_at"] < datetime.fromisoformat(
        first.json()["first_used_at"]
    )
    missing = {"source": "article", "ref": "999999"}
    nothing = await api.post(f"/tickets/{view.ticket_no}/suggestions/used", json=missing, headers=holder)
    assert nothing.status_code == 404 and nothing.json()["error"]["field"] == "ref"
    stranger = await api.get(f"/tickets/{view.ticket_no}/suggestions", headers=headers(keys.other_supervisor))
    assert stranger.status_code == 404
