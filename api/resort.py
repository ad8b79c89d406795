"""`POST /tickets/{no}/resort`: a misfiled ticket's category, kind or priority corrected, with a reason."""

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from api.actions import _HANDLERS, RESPONSES, TICKET_NO, _Body, perform
from api.auth import Principal
from api.idempotency import IDEMPOTENCY_KEY
from api.state import hotspots_of, pool_of
from domain import actions as act
from domain.enums import Category, Kind, Priority
from domain.hotspot_window import TicketOpened
from domain.ticket import TicketView
from store import classification_examples, intake

router = APIRouter(tags=["actions"])


class ResortBody(_Body):
    category: Category | None = None
    kind: Kind | None = None
    priority: Priority | None = None
    reason: str = Field(min_length=1, max_length=1_000)


@router.post("/tickets/{ticket_no}/resort", response_model=TicketView, responses=RESPONSES)
async def resort(
    request: Request,
    body: ResortBody,
    ticket_no: str = TICKET_NO,
    caller: Principal = Depends(_HANDLERS),
    key: str | None = IDEMPOTENCY_KEY,
) -> TicketView:
    """Re-sort the ticket: the team changes when routing says so (the ticket is re-assigned); a new priority
    recomputes the response and resolution deadlines from the intake time; the correction is on the
    timeline and becomes a training example for the classifier."""
    pool = pool_of(request)
    before = await intake.get_record(pool, ticket_no)
    view = await perform(request, caller, ticket_no, "resort", act.Resort, body, key)
    if body.category is not None or body.kind is not None:
        await classification_examples.add(
            pool, ticket_no, view.category, view.kind, caller.actor, body.reason
        )
    if before is not None and before.category is not view.category:
        # Counted where it belongs from now on, at its intake time (the old category's window keeps it).
        await hotspots_of(request).count(
            TicketOpened(
                ticket_no=ticket_no,
                category=view.category,
                product=before.product,
                order_batch=before.order_batch,
                opened_at=view.opened_at,
                team=view.team,
            )
        )
    return view
