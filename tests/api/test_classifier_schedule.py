"""The weekly retraining (issue 21): the schedule's run trains on the desk's own corrections, stores the
model, and the API sorts with it without a restart."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from temporalio.client import ScheduleActionExecutionStartWorkflow
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api.app import create_app
from cli.schedules import ensure_schedules, training_schedule_id
from domain.classifier_training import TrainingResult
from domain.enums import Category, Kind, Priority
from domain.intake import IntakeRequest
from domain.policy import Policy
from infra.settings import Settings
from store import classification_examples, classifier_models
from store import intake as store
from tests.api.conftest import Keys, headers
from tests.api.helpers import intake_body
from tests.insights.helpers import eventually

# A badge of this desk's own app that no shipped contact names: the shipped model is unsure of it.
BADGES = [
    "星星勋章没点亮", "我的星星勋章还是灰的", "星星勋章点亮条件是什么", "星星勋章要签到几天",
    "星星勋章和积分有关系吗", "星星勋章有什么用", "星星勋章可以送给朋友吗", "星星勋章会过期吗",
]  # fmt: skip
ASKED = "星星勋章一直没点亮"


@pytest.fixture
async def app(
    env: WorkflowEnvironment, pool: asyncpg.Pool, settings: Settings, policy: Policy, worker: Worker
) -> AsyncIterator[FastAPI]:
    # Asks for a newer model at every intake, not once a minute, so the test need not wait.
    quick = settings.model_copy(update={"classifier_recheck": 0.0})
    application = create_app(quick, client=env.client, pool=pool, policy=policy)
    async with application.router.lifespan_context(application):
        yield application


def _unsorted(description: str) -> dict[str, object]:
    body = intake_body(description=description, request=None)
    del body["kind"], body["category"]
    return body


async def _corrected(pool: asyncpg.Pool, description: str) -> None:
    """A ticket a supervisor re-sorted as a how-to question: one of the desk's own labelled contacts."""
    new = store.NewTicket(
        request=IntakeRequest.model_validate(intake_body(description=description)),
        kind=Kind.COMPLAINT,
        category=Category.OTHER,
        sorted=None,
        priority=Priority.MEDIUM,
        opened_at=datetime.now(UTC),
    )
    ticket_no = (await store.open_ticket(pool, new)).ticket_no
    await classification_examples.add(
        pool, ticket_no, Category.HOW_TO, Kind.CONSULTATION, "frontline-sup", "勋章的用法问题"
    )


async def test_the_scheduled_retraining_learns_the_desks_corrections_and_the_api_sorts_with_it(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment, pool: asyncpg.Pool, settings: Settings,
    policy: Policy,
) -> None:  # fmt: skip
    before = await api.post("/tickets", json=_unsorted(ASKED), headers=headers(keys.integrator))
    assert before.status_code == 201, before.text
    # Words no shipped contact has: a person sorts it.
    assert before.json()["needs_triage"] is True, before.json()["classification"]

    for text in BADGES:
        await _corrected(pool, text)
    prefix = f"t{uuid.uuid4().hex[:8]}"
    ids = await ensure_schedules(env.client, settings, policy, id_prefix=prefix)
    assert training_schedule_id(prefix) in ids
    handle = env.client.get_schedule_handle(training_schedule_id(prefix))
    schedule = (await handle.describe()).schedule
    [every] = schedule.spec.intervals
    assert every.every.days == 7  # the policy's retrain_every
    try:
        await handle.trigger()
        run = await eventually(lambda: handle.describe(), lambda d: bool(d.info.recent_actions))
        started = run.info.recent_actions[0].action
        assert isinstance(started, ScheduleActionExecutionStartWorkflow)
        trained = await env.client.get_workflow_handle(
            started.workflow_id, run_id=started.first_execution_run_id, result_type=TrainingResult
        ).result()
    finally:
        for schedule_id in ids:
            await env.client.get_schedule_handle(schedule_id).delete()
    assert trained.desk == len(BADGES) and await classifier_models.newest_id(pool) == trained.model_id

    after = await api.post("/tickets", json=_unsorted(ASKED), headers=headers(keys.integrator))
    assert after.status_code == 201, after.text
    sorted_ = after.json()["classification"]
    assert (sorted_["category"], sorted_["category_source"]) == ("how_to", "model"), sorted_
    assert after.json()["needs_triage"] is False
