"""The API process's intake classifier: trained at first use on the shipped labelled contacts and the
desk's own (filed or corrected by a person), and again once older than the policy's `retrain_every`."""

import asyncio
from datetime import UTC, datetime

from fastapi import Request

from api.state import pool_of
from domain.policy import Policy
from reading.classifier import TextClassifier, with_desk
from store import classification_examples


class Trained:
    """One model and when it was trained; one training at a time."""

    def __init__(self) -> None:
        self.model: TextClassifier | None = None
        self.at = datetime.min.replace(tzinfo=UTC)
        self.lock = asyncio.Lock()


async def classifier(request: Request, policy: Policy) -> TextClassifier:
    trained: Trained = getattr(request.app.state, "classifier", None) or Trained()
    request.app.state.classifier = trained
    if trained.model is not None and datetime.now(UTC) - trained.at < policy.classification.retrain_every:
        return trained.model
    async with trained.lock:
        if trained.model is None or datetime.now(UTC) - trained.at >= policy.classification.retrain_every:
            desk = await classification_examples.desk_examples(
                pool_of(request), policy.classification.desk_examples
            )
            examples = with_desk(desk)
            # Off the loop: a second or two the first time (jieba's dictionary), less after.
            trained.model = await asyncio.to_thread(TextClassifier, examples)
            trained.at = datetime.now(UTC)
        return trained.model
