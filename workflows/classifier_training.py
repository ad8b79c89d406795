"""ClassifierTrainingWorkflow: run weekly by a schedule, retrains the intake classifier and stores it."""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.classifier import TRAINING_RETRY, TRAINING_TIMEOUT, ClassifierActivities
    from domain.classifier_training import TRAINING_WORKFLOW_NAME, TrainingInput, TrainingResult


@workflow.defn(name=TRAINING_WORKFLOW_NAME)
class ClassifierTrainingWorkflow:
    @workflow.run
    async def run(self, inp: TrainingInput) -> TrainingResult:
        result: TrainingResult = await workflow.execute_activity_method(
            ClassifierActivities.train_classifier,
            inp,
            start_to_close_timeout=TRAINING_TIMEOUT,
            retry_policy=TRAINING_RETRY,
        )
        return result
