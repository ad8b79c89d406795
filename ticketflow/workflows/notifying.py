"""Notifying from workflow code: best effort, so an undeliverable message never stops a process."""

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from ticketflow.activities.notify import (
        NOTIFY_HEARTBEAT_TIMEOUT,
        NOTIFY_RETRY_POLICY,
        NOTIFY_START_TO_CLOSE,
        NotifyActivities,
    )
    from ticketflow.domain.notification import NotifyRequest


async def notify(req: NotifyRequest, local: bool = False) -> bool:
    """Deliver through the `notify` activity (retried with backoff); False when it finally failed, which
    is on record in the notifications table and in a warning naming the message's key.

    `local` runs it as a local activity: no activity task through the server and no extra workflow task,
    the same retries (backoffs past a minute wait on a durable timer). Delivery is idempotent by key, so a
    local attempt redone after a worker crash sends nothing twice."""
    try:
        if local:
            await workflow.execute_local_activity_method(
                NotifyActivities.notify,
                req,
                start_to_close_timeout=NOTIFY_START_TO_CLOSE,
                retry_policy=NOTIFY_RETRY_POLICY,
            )
        else:
            await workflow.execute_activity_method(
                NotifyActivities.notify,
                req,
                start_to_close_timeout=NOTIFY_START_TO_CLOSE,
                heartbeat_timeout=NOTIFY_HEARTBEAT_TIMEOUT,
                retry_policy=NOTIFY_RETRY_POLICY,
            )
        return True
    except ActivityError as e:
        workflow.logger.warning("notification failed", extra={"key": req.key, "error": str(e.cause or e)})
        return False
