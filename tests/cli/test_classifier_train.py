"""`ticketflow classifier train`: the shipped contacts plus the desk's own (filed or corrected by a person),
never the classifier's unconfirmed guesses; reports its held-out accuracy and stores the model the API
loads."""

import asyncio
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from domain.classification import Sorted
from domain.enums import Category, Kind, Priority
from domain.intake import IntakeRequest
from reading.classifier import load_examples
from store import classification_examples
from store import intake as store
from tests.api.helpers import intake_body


async def _opened(pool: asyncpg.Pool, description: str, sorted_: Sorted | None = None) -> str:
    body = intake_body(description=description)
    if sorted_ is not None:
        del body["kind"], body["category"]
    new = store.NewTicket(
        request=IntakeRequest.model_validate(body),
        kind=sorted_.kind if sorted_ else None,
        category=sorted_.category if sorted_ else None,
        sorted=sorted_,
        priority=Priority.MEDIUM,
        opened_at=datetime.now(UTC),
    )
    return (await store.open_ticket(pool, new)).ticket_no


async def test_the_desk_learns_from_corrections_and_never_from_its_own_guesses(
    pool: asyncpg.Pool, database: str
) -> None:
    guess = Sorted(
        category=Category.LOGISTICS, kind=Kind.COMPLAINT, category_source="model", kind_source="model",
        confidence=0.7,
    )  # fmt: skip
    unconfirmed = await _opened(pool, "快递还没到,电话13812345678", guess)
    corrected = await _opened(pool, "发票开错了抬头", guess)
    await classification_examples.add(
        pool, corrected, Category.AFTER_SALES_REFUND, Kind.SERVICE_REQUEST, "frontline-sup", "开票问题"
    )
    desk = await classification_examples.desk_examples(pool, 100)
    assert ("发票开错了抬头", Category.AFTER_SALES_REFUND, Kind.SERVICE_REQUEST) in desk
    assert all(text != "快递还没到,电话13812345678" for text, _, _ in desk), unconfirmed

    proc = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "ticketflow"),
        "classifier",
        "train",
        env={**os.environ, "TICKETFLOW_DATABASE_URL": database},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    said = out.decode() + err.decode()  # the command's console writes to stderr
    assert f"{len(load_examples()) + len(desk)} contacts ({len(desk)} the desk's own)" in said
    assert "held-out accuracy category 0." in said
    stored = await pool.fetchrow("SELECT id, examples, desk, trained_by FROM classifier_models")
    assert stored is not None and f"stored as model {stored['id']}" in said
    assert (stored["desk"], stored["trained_by"]) == (len(desk), "cli")
