"""The API process's intake classifier: trained at first use on the shipped labelled contacts and the
desk's own (filed or corrected by a person), and again once older than the policy's `retrain_every`."""

import asyncio
from datetime import UTC, datetime
from functools import partial

import structlog
from fastapi import FastAPI, Request

from domain.policy import Policy
from reading.classifier import TextClassifier, default_classifier, with_desk
from store import classification_examples

log = structlog.get_logger(__name__)


class Trained:
    """One model and when it was trained; one training at a time."""

    def __init__(self) -> None:
        self.model: TextClassifier | None = None
        self.at = datetime.min.replace(tzinfo=UTC)
        self.lock = asyncio.Lock()


async def classifier(request: Request, policy: Policy) -> TextClassifier:
    return await current(request.app, policy)


async def current(app: FastAPI, policy: Policy) -> TextClassifier:
    trained: Trained = getattr(app.state, "classifier", None) or Trained()
    app.state.classifier = trained
    if trained.model is not None and datetime.now(UTC) - trained.at < policy.classification.retrain_every:
        return trained.model
    async with trained.lock:
        if trained.model is None or datetime.now(UTC) - trained.at >= policy.classification.retrain_every:
            limit = policy.classification.desk_examples
            desk = await classification_examples.desk_examples(app.state.pool, limit)
            # Off the loop: a second or two (jieba's dictionary the first time). With nothing of the
            # desk's own, the shipped model, trained once for the process.
            train = partial(TextClassifier, with_desk(desk)) if desk else default_classifier
            trained.model = await asyncio.to_thread(train)
            trained.at = datetime.now(UTC)
        return trained.model


async def warm_up(app: FastAPI, policy: Policy) -> None:
    """Train at start, so the first ticket to sort does not wait for it (over 10 s on a loaded box)."""
    try:
        await current(app, policy)
    except Exception:  # a failure here is retried by the first request that needs the model
        log.warning("classifier warm-up failed", exc_info=True)
