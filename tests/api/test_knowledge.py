"""The knowledge base (seed 004): Chinese search without spaces, versions, publishing by a supervisor, and
the FAQ grown from a resolved ticket's solution."""

from typing import Any

import httpx
from temporalio.testing import WorkflowEnvironment

from tests.api.conftest import Keys, headers
from tests.api.test_tickets import _assignee_key, _awaiting_feedback, _open

WARRANTY: dict[str, Any] = {
    "question": "产品保修期多久?保修是否包含人为损坏?",
    "answer": "保修期为一年,仅包含非人为质量问题;人为损坏可付费维修,建议联系售后检测。",
    "category": "after_sales_refund",
    "tags": ["保修", "售后"],
}
TRACKING: dict[str, Any] = {
    "question": "如何查询订单物流?",
    "answer": "在「我的订单」中点开订单,点击「查看物流」即可看到快递公司和运单号。",
    "category": "how_to",
}


async def _published(api: httpx.AsyncClient, keys: Keys, body: dict[str, Any]) -> int:
    made = await api.post("/kb/articles", json=body, headers=headers(keys.agent))
    assert made.status_code == 201, made.text
    assert made.json()["status"] == "draft" and made.json()["version"] == 1
    article_id: int = made.json()["id"]
    done = await api.post(f"/kb/articles/{article_id}/publish", headers=headers(keys.supervisor))
    assert done.status_code == 200 and done.json()["published_by"] == "frontline-sup"
    return article_id


async def test_a_question_without_spaces_finds_the_article_ranked_with_its_words_marked(
    api: httpx.AsyncClient, keys: Keys
) -> None:
    warranty = await _published(api, keys, WARRANTY)
    tracking = await _published(api, keys, TRACKING)
    r = await api.get("/kb/search", params={"q": "我的快递到哪了,物流怎么查"}, headers=headers(keys.agent))
    assert r.status_code == 200, r.text
    found = r.json()
    assert found["hits"][0]["article"]["id"] == tracking
    assert "物流" in found["query_terms"] and "的" not in found["query_terms"]
    first = found["hits"][0]
    assert "【物流】" in first["question"] and first["score"] > 0 and "物流" in first["matched"]
    warranty_hits = await api.get(
        "/kb/search", params={"q": "保修包括人为损坏吗"}, headers=headers(keys.agent)
    )
    assert warranty_hits.json()["hits"][0]["article"]["id"] == warranty


async def test_a_draft_is_searched_only_once_a_supervisor_publishes_it(
    api: httpx.AsyncClient, keys: Keys
) -> None:
    body = {"question": "发票抬头填错了能改吗", "answer": "开票后七天内可在订单详情申请换开发票。"}
    made = await api.post("/kb/articles", json=body, headers=headers(keys.agent))
    article_id = made.json()["id"]
    q = {"q": "发票抬头改错"}
    assert (await api.get("/kb/search", params=q, headers=headers(keys.agent))).json()["hits"] == []
    drafts = await api.get("/kb/search", params={**q, "drafts": "true"}, headers=headers(keys.agent))
    assert [h["article"]["id"] for h in drafts.json()["hits"]] == [article_id]
    refused = await api.post(f"/kb/articles/{article_id}/publish", headers=headers(keys.agent))
    assert refused.status_code == 403
    await api.post(f"/kb/articles/{article_id}/publish", headers=headers(keys.supervisor))
    assert [
        h["article"]["id"]
        for h in (await api.get("/kb/search", params=q, headers=headers(keys.agent))).json()["hits"]
    ] == [article_id]


async def test_every_version_is_kept_and_a_revision_waits_for_publishing_again(
    api: httpx.AsyncClient, keys: Keys
) -> None:
    article_id = await _published(api, keys, TRACKING)
    revised = {**TRACKING, "answer": "在APP「我的订单」里点「查看物流」;网页版在订单详情页。"}
    r = await api.put(f"/kb/articles/{article_id}", json=revised, headers=headers(keys.other_agent))
    assert r.status_code == 200 and (r.json()["version"], r.json()["status"]) == (2, "draft")
    detail = (await api.get(f"/kb/articles/{article_id}", headers=headers(keys.agent))).json()
    assert [(v["version"], v["author"]) for v in detail["versions"]] == [
        (1, "frontline-1"),
        (2, "frontline-2"),
    ]
    assert detail["versions"][0]["answer"] == TRACKING["answer"]
    missing = await api.get("/kb/articles/999999", headers=headers(keys.agent))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


async def test_a_resolved_tickets_solution_becomes_a_draft_that_only_a_supervisor_publishes(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment
) -> None:
    open_view = await _open(api, keys, env)
    early = await api.post(f"/tickets/{open_view.ticket_no}/promote", headers=headers(keys.supervisor))
    assert early.status_code == 409
    view = await _awaiting_feedback(api, keys, env)
    holder = headers(_assignee_key(keys, view))
    r = await api.post(f"/tickets/{view.ticket_no}/promote", headers=holder)
    assert r.status_code == 201, r.text
    draft = r.json()
    assert draft["status"] == "draft" and draft["source_ticket"] == view.ticket_no
    assert view.solution is not None and draft["answer"].startswith(view.solution)
    again = await api.post(f"/tickets/{view.ticket_no}/promote", headers=holder)
    assert again.status_code == 200 and again.json()["id"] == draft["id"]
    assert (await api.post(f"/kb/articles/{draft['id']}/publish", headers=holder)).status_code == 403
    published = await api.post(f"/kb/articles/{draft['id']}/publish", headers=headers(keys.supervisor))
    assert published.status_code == 200 and published.json()["status"] == "published"
    stranger = await api.post(f"/tickets/{view.ticket_no}/promote", headers=headers(keys.other_supervisor))
    assert stranger.status_code == 404
