"""PurgeWorkflow: run daily by a schedule, removes archived tickets past the retention the policy sets."""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.retention import (
        PURGE_HEARTBEAT,
        PURGE_RETRY,
        PURGE_TIMEOUT,
        RetentionActivities,
    )
    from domain.retention import PURGE_WORKFLOW_NAME, PurgeInput, PurgeRequest, PurgeResult, cutoff


@workflow.defn(name=PURGE_WORKFLOW_NAME)
class PurgeWorkflow:
    @workflow.run
    async def run(self, inp: PurgeInput) -> PurgeResult:
        result: PurgeResult = await workflow.execute_activity_method(
            RetentionActivities.purge_archive,
            PurgeRequest(before=cutoff(workflow.now(), inp.keep), batch_size=inp.batch_size),
            start_to_close_timeout=PURGE_TIMEOUT,
            heartbeat_timeout=PURGE_HEARTBEAT,
            retry_policy=PURGE_RETRY,
        )
        return result
