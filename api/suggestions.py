"""`GET /tickets/{no}/suggestions`: articles and similar resolved tickets for the ticket's holder, each with
a score and why it matched; which one was used is recorded (seed 004: answers from the knowledge base)."""

import asyncio
import re
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from api.access import check_access
from api.actions import TICKET_NO
from api.auth import Principal, require
from api.errors import ApiError
from api.knowledge import RESPONSES, hits
from api.state import pool_of
from domain.access import scope_of
from domain.actions import RootCause
from domain.boundary import Boundary
from domain.enums import ApiRole
from domain.similarity import overlap
from reading.segment import terms
from store import knowledge, suggestions
from store.ticket_reads import TicketRow, get_ticket_row

router = APIRouter(tags=["knowledge"])

_STAFF = require(ApiRole.AGENT, ApiRole.SUPERVISOR, ApiRole.HEAD, ApiRole.DIRECTOR, ApiRole.ADMIN)
CANDIDATES = 300  # resolved tickets compared word by word, the same category first


class ArticleSuggestion(BaseModel):
    article_id: int
    question: str
    answer: str
    score: float
    why: str = Field(description="the words it shares with the ticket")


class TicketSuggestion(BaseModel):
    ticket_no: str
    solution: str
    root_cause: RootCause | None = None
    score: float = Field(description="shared words ÷ √(the two tickets' word counts), plus 0.1 same category")
    why: str


class Suggestions(BaseModel):
    ticket_no: str
    articles: list[ArticleSuggestion]
    tickets: list[TicketSuggestion]
    used: list[str] = Field(description="suggestions already used on this ticket: article:ID, ticket:NO")


class Used(Boundary):
    source: Literal["article", "ticket"]
    ref: str = Field(min_length=1, max_length=64, description="the article id or the ticket number")


class UseRecorded(BaseModel):
    ticket_no: str
    source: str
    ref: str
    first_used_at: datetime


async def _ticket(request: Request, ticket_no: str, caller: Principal) -> TicketRow:
    row = await get_ticket_row(pool_of(request), ticket_no)
    if row is None:
        raise ApiError(404, "not_found", f"no ticket {ticket_no}")
    check_access(caller, scope_of(row.view or row))
    return row


@router.get("/tickets/{ticket_no}/suggestions", response_model=Suggestions, responses=RESPONSES)
async def suggest(
    request: Request,
    ticket_no: str = TICKET_NO,
    limit: int = Query(default=3, ge=1, le=10),
    caller: Principal = Depends(_STAFF),
) -> Suggestions:
    """The top published articles for the customer's words, and the most similar resolved tickets with
    their solution and root cause. The first time any are shown is kept for the reports."""
    row = await _ticket(request, ticket_no, caller)
    text = row.description + (f"\n{row.request}" if row.request else "")
    found = await hits(request, text, limit, None, drafts=False)
    articles = [
        ArticleSuggestion(
            article_id=h.article.id,
            question=h.question,
            answer=h.answer,
            score=h.score,
            why="shares " + "、".join(h.matched),
        )
        for h in found.hits
    ]
    category = row.view.category.value if row.view else ""
    solved = await suggestions.solved_tickets(pool_of(request), category, ticket_no, CANDIDATES)
    wanted = found.query_terms
    words = await asyncio.to_thread(lambda: [terms(s.description) for s in solved])
    ranked: list[TicketSuggestion] = []
    for s, theirs in zip(solved, words, strict=True):
        score, shared = overlap(wanted, theirs)
        if not shared:
            continue
        same = s.view.category.value == category
        why = "shares " + "、".join(shared) + ("; same category" if same else "")
        ranked.append(
            TicketSuggestion(
                ticket_no=s.ticket_no,
                solution=s.view.solution or "",
                root_cause=s.view.root_cause,
                score=round(score + (0.1 if same else 0.0), 4),
                why=why,
            )
        )
    ranked.sort(key=lambda t: (-t.score, t.ticket_no))
    if articles or ranked:
        await suggestions.record_shown(pool_of(request), ticket_no)
    used = [f"{src}:{ref}" for src, ref in await suggestions.uses(pool_of(request), ticket_no)]
    return Suggestions(ticket_no=ticket_no, articles=articles, tickets=ranked[:limit], used=used)


@router.post("/tickets/{ticket_no}/suggestions/used", response_model=UseRecorded, responses=RESPONSES)
async def used(
    request: Request, body: Used, ticket_no: str = TICKET_NO, caller: Principal = Depends(_STAFF)
) -> UseRecorded:
    """The holder answered from this suggestion: recorded once a ticket and suggestion, for the reports."""
    await _ticket(request, ticket_no, caller)
    pool = pool_of(request)
    exists = (
        re.fullmatch(r"[0-9]{1,18}", body.ref) is not None
        and await knowledge.get(pool, int(body.ref)) is not None
        if body.source == "article"
        else await get_ticket_row(pool, body.ref) is not None
    )
    if not exists:
        raise ApiError(404, "not_found", f"no {body.source} {body.ref}", "ref")
    at = await suggestions.record_use(pool, ticket_no, body.source, body.ref, caller.actor)
    return UseRecorded(ticket_no=ticket_no, source=body.source, ref=body.ref, first_used_at=at)
