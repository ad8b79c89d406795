"""Notifying from workflow code: best effort, so an undeliverable message never stops a process."""

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError, FailureError

with workflow.unsafe.imports_passed_through():
    from activities.notify import (
        FIRST_TRY_RETRY_POLICY,
        FIRST_TRY_START_TO_CLOSE,
        NOTIFY_HEARTBEAT_TIMEOUT,
        NOTIFY_RETRY_POLICY,
        NOTIFY_START_TO_CLOSE,
        PERMANENT_ERRORS,
        NotifyActivities,
    )
    from domain.notification import NotifyRequest


async def notify(req: NotifyRequest, local: bool = False, first_try: bool = False) -> bool:
    """Deliver through the `notify` activity (retried with backoff); False when it finally failed, which
    is on record in the notifications table and in a warning naming the message's key.

    `first_try` tries once first as the local activity `notify_once`, inside this workflow task: on a
    healthy channel the message is out without an activity task through the server or another workflow
    task; a failing channel costs it a short timeout (then nothing, while that destination cools off)
    before the retried activity takes over. `local` (runs begun under "lean-history" only) ran the retried
    delivery itself as a local activity. Delivery is idempotent by key: nothing is sent twice."""
    if first_try:
        try:
            await workflow.execute_local_activity_method(
                NotifyActivities.notify_once,
                req,
                start_to_close_timeout=FIRST_TRY_START_TO_CLOSE,
                retry_policy=FIRST_TRY_RETRY_POLICY,
            )
            return True
        except CancelledError:
            raise
        except FailureError as e:
            # A local activity's failure can arrive unwrapped (its ApplicationError, not an ActivityError).
            cause = e.cause if isinstance(e, ActivityError) else e
            if isinstance(cause, ApplicationError) and cause.type in PERMANENT_ERRORS:
                workflow.logger.warning("notification failed", extra={"key": req.key, "error": str(cause)})
                return False
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
