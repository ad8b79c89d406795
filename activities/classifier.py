"""The training activity: the shipped contacts and the desk's own, fitted off the event loop and stored."""

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import asyncpg
import structlog
from temporalio import activity
from temporalio.common import RetryPolicy

from domain.classifier_training import TrainingInput, TrainingResult
from infra.settings import Settings
from store import classification_examples, classifier_models

log = structlog.get_logger(__name__)

TRAINING_TIMEOUT = timedelta(minutes=30)
TRAINING_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=10),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
    maximum_attempts=5,
)


async def train_and_store(pool: asyncpg.Pool, desk_examples: int, by: str) -> TrainingResult:
    """Train on the shipped contacts and the desk's newest `desk_examples`, store it; shared with the CLI."""
    # scikit-learn and jieba load here, not where workflows import this module.
    from reading.classifier import TextClassifier, to_bytes, with_desk

    desk = await classification_examples.desk_examples(pool, desk_examples)
    examples = with_desk(desk)
    blob = await asyncio.to_thread(lambda: to_bytes(TextClassifier(examples)))
    model_id = await classifier_models.save(pool, blob, len(examples), len(desk), by)
    return TrainingResult(model_id=model_id, examples=len(examples), desk=len(desk))


class ClassifierActivities:
    """Built once per worker; every method is an activity taking one model."""

    def __init__(self, pool: asyncpg.Pool, settings: Settings) -> None:
        self._pool = pool
        self._settings = settings

    def all(self) -> list[Callable[..., Any]]:
        return [self.train_classifier]

    @activity.defn(name="train_classifier")
    async def train_classifier(self, req: TrainingInput) -> TrainingResult:
        """Train and store a new model; a retry trains again (a spare model row is harmless)."""
        result = await train_and_store(self._pool, req.desk_examples, "schedule")
        log.info("classifier trained", model_id=result.model_id, examples=result.examples, desk=result.desk)
        return result
