"""The API process's intake classifier: the newest model the weekly schedule (or `ticketflow classifier
train`) stored, checked for a newer one at most once a minute (`classifier_recheck`); before any is
stored, one trained at start on the shipped labelled contacts and the desk's own (filed or corrected
by a person)."""

import asyncio
import time
from functools import partial

import structlog
from fastapi import FastAPI, Request

from domain.policy import Policy
from reading.classifier import TextClassifier, default_classifier, from_bytes, with_desk
from store import classification_examples, classifier_models

log = structlog.get_logger(__name__)


class Held:
    """The model in use, which stored one it is (None: trained here), and when the table was last asked."""

    def __init__(self) -> None:
        self.model: TextClassifier | None = None
        self.model_id: int | None = None
        self.checked = float("-inf")
        self.lock = asyncio.Lock()


async def classifier(request: Request, policy: Policy) -> TextClassifier:
    return await current(request.app, policy)


async def current(app: FastAPI, policy: Policy) -> TextClassifier:
    held: Held = getattr(app.state, "classifier", None) or Held()
    app.state.classifier = held
    # A newer stored model is in use within `classifier_recheck` (a minute), at one indexed query a minute.
    recheck = app.state.settings.classifier_recheck
    if held.model is not None and time.monotonic() - held.checked < recheck:
        return held.model
    async with held.lock:
        if held.model is not None and time.monotonic() - held.checked < recheck:
            return held.model
        pool = app.state.pool
        newest = await classifier_models.newest_id(pool)
        if newest is not None and newest != held.model_id:
            blob = await classifier_models.load(pool, newest)
            if blob is not None:  # deleted since: the next check finds the newer one
                held.model = await asyncio.to_thread(from_bytes, blob)
                held.model_id = newest
        if held.model is None:
            desk = await classification_examples.desk_examples(pool, policy.classification.desk_examples)
            # Off the loop: a second or two (jieba's dictionary the first time). With nothing of the
            # desk's own, the shipped model, trained once for the process.
            train = partial(TextClassifier, with_desk(desk)) if desk else default_classifier
            held.model = await asyncio.to_thread(train)
        held.checked = time.monotonic()
        return held.model


async def warm_up(app: FastAPI, policy: Policy) -> None:
    """Load or train at start, so the first ticket to sort does not wait for it (10 s on a loaded box)."""
    try:
        await current(app, policy)
    except Exception:  # a failure here is retried by the first request that needs the model
        log.warning("classifier warm-up failed", exc_info=True)
