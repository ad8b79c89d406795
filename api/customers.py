"""Customers as people: one record across tickets, masked by role, every read audited (seed 003)."""

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from api.auth import Principal, require
from api.errors import ApiError, ErrorResponse
from api.state import policy_of, pool_of
from domain.enums import ApiRole
from domain.masking import mask_email, mask_name, mask_phone
from store import audit, customers
from store.customers import CustomerTicket

router = APIRouter(tags=["customers"])

_STAFF = require(ApiRole.AGENT, ApiRole.SUPERVISOR, ApiRole.HEAD, ApiRole.DIRECTOR, ApiRole.ADMIN)
_RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorResponse},
    403: {"model": ErrorResponse},
    404: {"model": ErrorResponse, "description": "no such customer, or none the caller may see"},
    422: {"model": ErrorResponse},
    503: {"model": ErrorResponse},
}
CUSTOMER_ID = Path(ge=1, le=2**63 - 1)


class CustomerView(BaseModel):
    """A customer as the desk sees them: masked contact (full for admins), and how often they call."""

    id: int
    display_name: str
    phone: str | None = None
    email: str | None = None
    tier: str
    since: datetime
    open_tickets: int
    recent_tickets: int = Field(description="tickets opened within the policy's repeat window")


class CustomerTickets(BaseModel):
    items: list[CustomerTicket]


async def _visible(request: Request, caller: Principal, customer_id: int) -> None:
    """An agent sees a customer only while holding one of their tickets; other staff see any."""
    if caller.role is not ApiRole.AGENT:
        return
    holds = await pool_of(request).fetchval(
        "SELECT EXISTS (SELECT 1 FROM tickets WHERE customer_id = $1 AND assignee = $2)",
        customer_id,
        caller.member_id,
    )
    if not holds:
        raise ApiError(404, "not_found", f"no customer {customer_id}")


@router.get("/customers/{customer_id}", response_model=CustomerView, responses=_RESPONSES)
async def get_customer(
    request: Request, customer_id: int = CUSTOMER_ID, caller: Principal = Depends(_STAFF)
) -> CustomerView:
    """One customer across their tickets; the read is audited."""
    window = policy_of(request).customers.repeat_window
    row = await customers.get(pool_of(request), customer_id, datetime.now(UTC) - window)
    if row is None:
        raise ApiError(404, "not_found", f"no customer {customer_id}")
    await _visible(request, caller, customer_id)
    full = caller.role is ApiRole.ADMIN
    await audit.record_customer_read(pool_of(request), caller.actor, customer_id, "customer")
    return CustomerView(
        id=row.id,
        display_name=row.name if full else mask_name(row.name),
        phone=(row.phone if full else mask_phone(row.phone)) if row.phone else None,
        email=(row.email if full else mask_email(row.email)) if row.email else None,
        tier=row.tier,
        since=row.created_at,
        open_tickets=row.open_tickets,
        recent_tickets=row.recent_tickets,
    )


@router.get("/customers/{customer_id}/tickets", response_model=CustomerTickets, responses=_RESPONSES)
async def customer_tickets(
    request: Request,
    customer_id: int = CUSTOMER_ID,
    limit: int = Query(default=50, ge=1, le=200),
    caller: Principal = Depends(_STAFF),
) -> CustomerTickets:
    """The customer's tickets, newest first: has this caller complained before (是否曾反馈过类似问题)?"""
    if await customers.get(pool_of(request), customer_id, datetime.now(UTC) - timedelta(0)) is None:
        raise ApiError(404, "not_found", f"no customer {customer_id}")
    await _visible(request, caller, customer_id)
    await audit.record_customer_read(pool_of(request), caller.actor, customer_id, "customer_tickets")
    return CustomerTickets(items=await customers.tickets_of(pool_of(request), customer_id, limit))
