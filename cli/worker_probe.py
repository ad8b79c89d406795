"""Is this host's worker polling? Asked of Temporal, so the answer needs no port or metrics on the worker."""

import socket
from datetime import UTC, datetime, timedelta

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

from domain.hotspot_window import counter_queue
from infra.settings import Settings
from infra.temporal_client import connect

# A poll stays open up to a minute when there is nothing to do; older than this, the worker is gone.
FRESH = timedelta(seconds=150)


def own_identity_suffix() -> str:
    """The SDK names a worker `pid@hostname`: this host's workers (a container's) end with this."""
    return f"@{socket.gethostname()}"


async def polling(settings: Settings, identity: str | None = None) -> dict[str, list[str]]:
    """Per queue and task type, the matching workers that polled recently; missing keys are the problem."""
    client = await connect(settings)
    wanted = identity or own_identity_suffix()
    now = datetime.now(UTC)
    found: dict[str, list[str]] = {}
    for queue in (settings.task_queue, counter_queue(settings.task_queue)):
        for kind, type_ in (
            ("workflow", TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW),
            ("activity", TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
        ):
            described = await client.workflow_service.describe_task_queue(
                DescribeTaskQueueRequest(
                    namespace=client.namespace, task_queue=TaskQueue(name=queue), task_queue_type=type_
                )
            )
            fresh = [
                p.identity
                for p in described.pollers
                if (p.identity == wanted or p.identity.endswith(wanted))
                and now - p.last_access_time.ToDatetime(UTC) < FRESH
            ]
            if fresh:
                found[f"{queue} {kind}"] = fresh
    return found


def expected(settings: Settings) -> list[str]:
    return [
        f"{queue} {kind}"
        for queue in (settings.task_queue, counter_queue(settings.task_queue))
        for kind in ("workflow", "activity")
    ]
