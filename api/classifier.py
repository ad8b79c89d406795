"""The API process's intake classifier: the newest model the weekly schedule (or `ticketflow classifier
train`) stored, checked for a newer one at most once a minute (`classifier_recheck`); before any is
stored, one trained at first use on the shipped labelled contacts and the desk's own (filed or corrected
by a person)."""

import asyncio
import time

from fastapi import Request

from api.state import pool_of, settings_of
from domain.policy import Policy
from reading.classifier import TextClassifier, from_bytes, with_desk
from store import classification_examples, classifier_models


class Held:
    """The model in use, which stored one it is (None: trained here), and when the table was last asked."""

    def __init__(self) -> None:
        self.model: TextClassifier | None = None
        self.model_id: int | None = None
        self.checked = float("-inf")
        self.lock = asyncio.Lock()


async def classifier(request: Request, policy: Policy) -> TextClassifier:
    held: Held = getattr(request.app.state, "classifier", None) or Held()
    request.app.state.classifier = held
    # A newer stored model is in use within `classifier_recheck` (a minute), at one indexed query a minute.
    recheck = settings_of(request).classifier_recheck
    if held.model is not None and time.monotonic() - held.checked < recheck:
        return held.model
    async with held.lock:
        if held.model is not None and time.monotonic() - held.checked < recheck:
            return held.model
        pool = pool_of(request)
        newest = await classifier_models.newest_id(pool)
        if newest is not None and newest != held.model_id:
            blob = await classifier_models.load(pool, newest)
            if blob is not None:  # deleted since: the next check finds the newer one
                held.model = await asyncio.to_thread(from_bytes, blob)
                held.model_id = newest
        if held.model is None:
            desk = await classification_examples.desk_examples(pool, policy.classification.desk_examples)
            # Off the loop: a second or two the first time (jieba's dictionary), less after.
            held.model = await asyncio.to_thread(TextClassifier, with_desk(desk))
        held.checked = time.monotonic()
        return held.model
