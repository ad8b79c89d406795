"""Notifying from workflow code: best effort, so an undeliverable message never stops a process."""

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.notify import (
        NOTIFY_HEARTBEAT_TIMEOUT,
        NOTIFY_RETRY_POLICY,
        NOTIFY_START_TO_CLOSE,
        NotifyActivities,
    )
    from domain.notification import NotifyRequest, NotifyResult


async def notify(req: NotifyRequest) -> NotifyResult | None:
    """Deliver through the retried `notify` activity; None when it finally failed, which is on record in
    the notifications table and in a warning naming the message's key. Nothing is sent twice (keyed)."""
    try:
        return await workflow.execute_activity_method(
            NotifyActivities.notify,
            req,
            start_to_close_timeout=NOTIFY_START_TO_CLOSE,
            heartbeat_timeout=NOTIFY_HEARTBEAT_TIMEOUT,
            retry_policy=NOTIFY_RETRY_POLICY,
        )
    except ActivityError as e:
        workflow.logger.warning("notification failed", extra={"key": req.key, "error": str(e.cause or e)})
        return None
