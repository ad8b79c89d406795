"""Intake that classifies (seeds 000, 003, issue 21): a ticket sent without category or kind is sorted from
its words, routed, timed and counted as what it is; an unsure one waits with the default team for a person."""

import asyncio

import asyncpg
import httpx
from fastapi import FastAPI
from temporalio.testing import WorkflowEnvironment

from domain.enums import Category
from tests.api.conftest import Keys, headers
from tests.api.helpers import intake_body, live_view

SEED_SAMPLE = "订单号230930001, 支付成功后未收到发货短信"


def _unsorted(description: str, request: str | None = None) -> dict[str, object]:
    body = intake_body(description=description, request=request)
    del body["kind"], body["category"]
    return body


async def _told(pool: asyncpg.Pool, ticket_no: str, template: str) -> list[str]:
    for _ in range(100):
        rows = await pool.fetch(
            "SELECT recipient FROM notifications WHERE ticket_no = $1 AND template = $2", ticket_no, template
        )
        if rows:
            return [r["recipient"] for r in rows]
        await asyncio.sleep(0.1)
    return []


async def test_the_seed_sample_without_a_category_lands_with_the_logistics_team(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    r = await api.post("/tickets", json=_unsorted(SEED_SAMPLE), headers=headers(keys.integrator))
    assert r.status_code == 201, r.text
    opened = r.json()
    assert (opened["category"], opened["team"], opened["needs_triage"]) == ("logistics", "logistics", False)
    sorted_ = opened["classification"]
    assert sorted_["category_source"] == "rules"  # 发货: the policy's logistics keywords
    assert sorted_["kind_source"] == "model" and sorted_["kind"] == "complaint"
    assert sorted_["confidence"] >= 0.5
    view = await live_view(env.client, opened["ticket_no"])
    assert (view.category.value, view.team, view.needs_triage) == ("logistics", "logistics", False)
    row = await pool.fetchrow(
        "SELECT category, kind, needs_triage FROM tickets WHERE ticket_no = $1", opened["ticket_no"]
    )
    assert row is not None
    assert (row["category"], row["kind"], row["needs_triage"]) == ("logistics", "complaint", False)


async def test_words_no_rule_knows_are_sorted_by_the_trained_classifier(
    api: httpx.AsyncClient, keys: Keys
) -> None:
    r = await api.post("/tickets", json=_unsorted("APP登录一直失败"), headers=headers(keys.integrator))
    assert r.status_code == 201, r.text
    sorted_ = r.json()["classification"]
    assert (sorted_["category"], sorted_["category_source"]) == ("system_fault", "model")
    assert r.json()["team"] == "tech"


async def test_a_low_confidence_text_lands_needs_triage_with_the_default_team_and_its_supervisor_told(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    r = await api.post("/tickets", json=_unsorted("今天心情一般"), headers=headers(keys.integrator))
    assert r.status_code == 201, r.text
    opened = r.json()
    assert opened["needs_triage"] is True and opened["team"] == "frontline"
    assert opened["category"] == "other"  # the policy's triage category
    assert opened["classification"]["confidence"] < 0.5  # the policy's threshold
    assert opened["classification"]["guess_category"] is not None
    view = await live_view(env.client, opened["ticket_no"])
    assert view.needs_triage and view.team == "frontline"
    assert await _told(pool, opened["ticket_no"], "needs_triage_intake") == ["frontline-sup"]


async def test_a_given_category_and_kind_are_never_second_guessed(api: httpx.AsyncClient, keys: Keys) -> None:
    body = intake_body(kind="suggestion", category="other", description=SEED_SAMPLE)
    r = await api.post("/tickets", json=body, headers=headers(keys.integrator))
    opened = r.json()
    assert (opened["category"], opened["kind"], opened["classification"]) == ("other", "suggestion", None)


async def test_the_api_trains_its_classifier_at_start_not_at_the_first_ticket_to_sort(app: FastAPI) -> None:
    """A fuzz run's first unsorted ticket waited over 10 s for the training on a loaded box."""
    await app.state.warming
    assert app.state.classifier.model is not None
    assert app.state.classifier.model.guess(SEED_SAMPLE).category is Category.LOGISTICS
