"""Customers' answers to the callback: a signed link (no API key), or their channel's integration."""

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field, StrictBool

from api import opening
from api.access import check_access
from api.actions import TICKET_NO, check_files
from api.auth import Principal, require
from api.errors import ApiError, ErrorResponse
from api.idempotency import IDEMPOTENCY_KEY, once
from api.state import pool_of, settings_of, temporal_of
from api.workflow_calls import WorkflowGone, gone, run_update
from domain.access import scope_of
from domain.actions import FeedbackAnswer
from domain.boundary import NOT_BLANK, Boundary, RowId, Score
from domain.enums import ApiRole, Status
from domain.feedback_link import BadToken, ExpiredToken, FeedbackLink, verify
from domain.ticket import TicketView
from store import intake as intake_store
from store.ticket_reads import get_ticket_row

router = APIRouter(tags=["feedback"])


class FeedbackBody(Boundary):
    """The customer's answer: solved? how satisfied, 1–5 (seeds 001, 004)."""

    solved: StrictBool
    score: Score
    comment: str = Field(default="", max_length=2_000)
    accepts_compensation: StrictBool | None = Field(
        default=None, description="whether the customer accepts the compensation offered with the solution"
    )
    disputes_cause: StrictBool = Field(
        default=False, description="the customer disagrees with the cause they were told: the ticket reopens"
    )

    def answer(self, round: int | None = None) -> FeedbackAnswer:
        return FeedbackAnswer(
            solved=self.solved,
            score=self.score,
            comment=self.comment,
            round=round,
            accepts_compensation=self.accepts_compensation,
            disputes_cause=self.disputes_cause,
        )


def link_of(request: Request, token: str) -> FeedbackLink:
    """The ticket and round a customer's signed link stands for; 410 once expired, 401 when forged."""
    try:
        return verify(token, settings_of(request).secret_key.get_secret_value())
    except ExpiredToken as e:
        raise ApiError(410, "expired", str(e)) from e
    except BadToken as e:
        raise ApiError(401, "unauthorized", str(e)) from e


class FeedbackReceipt(BaseModel):
    """What the customer is told: the answer was recorded, and where the ticket stands now."""

    ticket_no: str
    status: Status


async def _record(
    request: Request,
    ticket_no: str,
    body: FeedbackBody,
    answer: FeedbackAnswer,
    actor: str,
    key: str | None,
    caller: Principal | None = None,
) -> FeedbackReceipt:
    pool = pool_of(request)

    async def run(update_id: str | None) -> TicketView:
        try:
            return await run_update(temporal_of(request), ticket_no, "feedback", answer, update_id)
        except WorkflowGone:
            raise await gone(pool, ticket_no, caller) from None

    view = await once(pool, actor, key, ticket_no, "feedback", body, run)
    return FeedbackReceipt(ticket_no=view.ticket_no, status=view.status)


@router.post(
    "/feedback/{token}",
    response_model=FeedbackReceipt,
    responses={
        401: {"model": ErrorResponse, "description": "forged or malformed link"},
        404: {"model": ErrorResponse},
        409: {
            "model": ErrorResponse,
            "description": "already answered, not awaiting feedback, or a newer request was sent",
        },
        410: {"model": ErrorResponse, "description": "the link has expired"},
        422: {"model": ErrorResponse},
        503: {"model": ErrorResponse},
    },
)
async def feedback_by_link(
    request: Request,
    body: FeedbackBody,
    token: str = Path(max_length=512),
    key: str | None = IDEMPOTENCY_KEY,
) -> FeedbackReceipt:
    """The customer answers the callback through the signed link they were sent; no API key."""
    link = link_of(request, token)
    actor = f"link:{link.ticket_no}:{link.round}"
    return await _record(request, link.ticket_no, body, body.answer(link.round), actor, key)


@router.post(
    "/tickets/{ticket_no}/feedback",
    response_model=FeedbackReceipt,
    responses={
        401: {"model": ErrorResponse},
        403: {"model": ErrorResponse},
        404: {"model": ErrorResponse},
        409: {"model": ErrorResponse, "description": "already answered, or not awaiting feedback"},
        422: {"model": ErrorResponse},
        503: {"model": ErrorResponse},
    },
)
async def feedback_by_channel(
    request: Request,
    body: FeedbackBody,
    ticket_no: str = TICKET_NO,
    caller: Principal = Depends(require(ApiRole.INTEGRATOR, ApiRole.ADMIN)),
    key: str | None = IDEMPOTENCY_KEY,
) -> FeedbackReceipt:
    """The customer's channel posts the answer it collected (integrators: their own channel's tickets)."""
    # A ticket's channel never changes: the read model answers for it without asking the workflow.
    row = await get_ticket_row(pool_of(request), ticket_no)
    if row is None:
        raise ApiError(404, "not_found", f"no ticket {ticket_no}")
    check_access(caller, scope_of(row))
    return await _record(request, ticket_no, body, body.answer(), caller.actor, key, caller)


class ReplyBody(Boundary):
    """What the customer writes back through the link: more details, an answer to a question."""

    message: str = Field(min_length=1, max_length=10_000, pattern=NOT_BLANK)
    attachment_ids: list[RowId] = Field(
        default=[], max_length=20, description="files on the ticket (uploaded through the link) it refers to"
    )


class ReplyReceipt(BaseModel):
    """Where the message went: the ticket itself, or a follow-up when it is closed."""

    ticket_no: str
    appended: bool
    follow_up: str | None = None


@router.post(
    "/feedback/{token}/reply",
    response_model=ReplyReceipt,
    responses={
        401: {"model": ErrorResponse, "description": "forged or malformed link"},
        404: {"model": ErrorResponse, "description": "no such ticket, or a file not on it"},
        409: {"model": ErrorResponse, "description": "files referred to on a closed ticket"},
        410: {"model": ErrorResponse, "description": "the link has expired"},
        422: {"model": ErrorResponse},
        503: {"model": ErrorResponse},
    },
)
async def reply_by_link(request: Request, body: ReplyBody, token: str = Path(max_length=512)) -> ReplyReceipt:
    """The customer writes back through their link, referring to files they uploaded through it (or any
    on the ticket); the same words sent twice count once."""
    link = link_of(request, token)
    record = await intake_store.get_record(pool_of(request), link.ticket_no)
    if record is None:
        raise ApiError(404, "not_found", f"no ticket {link.ticket_no}")
    if body.attachment_ids:
        if record.status is Status.CLOSED:
            # A closed ticket's message opens a follow-up, which carries none of this ticket's files.
            raise ApiError(409, "conflict", f"ticket {record.ticket_no} is closed; write again without files")
        await check_files(pool_of(request), record.ticket_no, body.attachment_ids)
    taken = await opening.take_message(
        request, record, record.customer, body.message, "link", body.attachment_ids
    )
    if taken.appended:
        return ReplyReceipt(ticket_no=record.ticket_no, appended=True)
    return ReplyReceipt(ticket_no=record.ticket_no, appended=False, follow_up=taken.record.ticket_no)
