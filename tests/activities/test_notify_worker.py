"""The notify activity through a real Temporal worker: pydantic round trip, retries, one delivery."""

import uuid
from datetime import timedelta

import asyncpg
from temporalio import workflow
from temporalio.client import WorkflowFailureError
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from activities.channels.webhook import WebhookNotifier
from activities.notify import NOTIFY_RETRY_POLICY, NotifyActivities
from domain.enums import Role
from domain.notification import Audience, NotifyRequest, NotifyResult
from infra.settings import Settings
from store import notifications
from store.directory import Member, Team, upsert_member, upsert_team
from tests.activities.channels.servers import smtp_server, webhook_receiver

SECRET = "test-secret"


@workflow.defn(sandboxed=False)
class NotifyTwice:
    """Calls notify twice with one key, as a workflow replaying a step would."""

    @workflow.run
    async def run(self, req: NotifyRequest) -> list[NotifyResult]:
        retry = RetryPolicy(
            initial_interval=timedelta(milliseconds=100),
            maximum_attempts=5,
            non_retryable_error_types=NOTIFY_RETRY_POLICY.non_retryable_error_types,
        )
        results = []
        for _ in range(2):
            results.append(
                await workflow.execute_activity_method(
                    NotifyActivities.notify,
                    req,
                    start_to_close_timeout=timedelta(seconds=30),
                    retry_policy=retry,
                )
            )
        return results


async def test_through_a_worker_the_webhook_is_retried_and_delivered_once(
    time_env: WorkflowEnvironment, pool: asyncpg.Pool, settings: Settings, task_queue: str
) -> None:
    u = uuid.uuid4().hex[:8]
    async with webhook_receiver(SECRET) as hook:
        team = Team(id=f"team-{u}", name="一线", department="service")
        await upsert_team(pool, team)
        await upsert_member(
            pool,
            Member(id=f"sup-{u}", name="主管", role=Role.SUPERVISOR, team_id=team.id, webhook_url=hook.url),
        )
        # 3 in-call attempts fail with 503, so the first activity attempt fails and Temporal retries it.
        hook.script([503, 503, 503, 500])
        acts = NotifyActivities(pool, settings, webhook=WebhookNotifier(SECRET, backoff=0.01, attempts=3))
        req = NotifyRequest(
            key=f"W-{u}:1",
            ticket_no=f"W-{u}",
            audience=Audience.TEAM_SUPERVISOR,
            team=team.id,
            template="warning",
        )
        async with Worker(
            time_env.client,
            task_queue=task_queue,
            workflows=[NotifyTwice],
            activities=[acts.notify],
            workflow_runner=UnsandboxedWorkflowRunner(),
        ):
            first, second = await time_env.client.execute_workflow(
                NotifyTwice.run, req, id=f"wf-{u}", task_queue=task_queue
            )

    assert first == NotifyResult(recipients=[f"sup-{u}"], already_sent=False)
    assert second == NotifyResult(recipients=[f"sup-{u}"], already_sent=True)
    assert [r.status for r in hook.requests] == [503, 503, 503, 500, 200]
    assert len(hook.delivered) == 1
    [row] = await notifications.for_ticket(pool, req.ticket_no)
    assert row.delivered_at is not None


async def test_through_a_worker_a_bad_address_fails_at_once(
    time_env: WorkflowEnvironment, pool: asyncpg.Pool, settings: Settings, task_queue: str
) -> None:
    u = uuid.uuid4().hex[:8]
    await upsert_member(pool, Member(id=f"a-{u}", name="张三", role=Role.AGENT))
    # The directory refuses such an address now; a row from before that check (or typed in SQL) remains.
    await pool.execute("UPDATE members SET email = 'zhangsan@' WHERE id = $1", f"a-{u}")
    with smtp_server() as smtp:
        s = settings.model_copy(update={"smtp_host": smtp.host, "smtp_port": smtp.port})
        acts = NotifyActivities(pool, s)
        req = NotifyRequest(
            key=f"B-{u}:1",
            ticket_no=f"B-{u}",
            audience=Audience.MEMBER,
            member_id=f"a-{u}",
            template="assigned",
        )
        async with Worker(
            time_env.client,
            task_queue=task_queue,
            workflows=[NotifyTwice],
            activities=[acts.notify],
            workflow_runner=UnsandboxedWorkflowRunner(),
        ):
            try:
                await time_env.client.execute_workflow(
                    NotifyTwice.run, req, id=f"wf-{u}", task_queue=task_queue
                )
            except WorkflowFailureError as e:
                assert isinstance(e.cause, ActivityError)
                cause = e.cause.cause
                assert isinstance(cause, ApplicationError)
                assert cause.type == "BadAddress" and "malformed e-mail address" in cause.message
                assert e.cause.retry_state is not None and e.cause.retry_state.name == "NON_RETRYABLE_FAILURE"
            else:
                raise AssertionError("the workflow should fail")
        assert smtp.collector.messages == []
