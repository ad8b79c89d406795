"""The weekly retraining of the intake classifier (issue 21): the schedule's input and what a run answers."""

from pydantic import BaseModel, Field

TRAINING_WORKFLOW_NAME = "ClassifierTrainingWorkflow"


class TrainingInput(BaseModel):
    """The schedule's argument: how many of the desk's newest labelled contacts to train on."""

    desk_examples: int = Field(default=5_000, ge=0, le=100_000)


class TrainingResult(BaseModel):
    """A stored model: its id in `classifier_models`, and what it was trained on."""

    model_id: int
    examples: int
    desk: int
