"""The knowledge base (seed 004): articles written and versioned by the desk, published by a supervisor,
searched in Chinese, and grown from resolved tickets."""

import asyncio

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, Field

from api.access import check_access
from api.actions import TICKET_NO
from api.auth import Principal, require
from api.errors import ApiError, ErrorResponse
from api.state import pool_of
from domain.access import scope_of
from domain.enums import ApiRole, Category, Status
from domain.knowledge import Article, ArticleFields, ArticleStatus, ArticleVersion, highlight
from domain.masking import mask_text
from reading.segment import terms, tokens
from store import knowledge as store
from store.ticket_reads import get_ticket_row

router = APIRouter(tags=["knowledge"])

_STAFF = require(ApiRole.AGENT, ApiRole.SUPERVISOR, ApiRole.HEAD, ApiRole.DIRECTOR, ApiRole.ADMIN)
_SUPERVISORS = require(ApiRole.SUPERVISOR, ApiRole.HEAD, ApiRole.DIRECTOR, ApiRole.ADMIN)
ARTICLE_ID = Path(ge=1, le=2**31 - 1, description="article id")
RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorResponse},
    403: {"model": ErrorResponse, "description": "the key's role may not do this"},
    404: {"model": ErrorResponse, "description": "no such article or ticket"},
    409: {"model": ErrorResponse, "description": "the ticket has no solution yet"},
    422: {"model": ErrorResponse},
}
# Resolved onwards: the ticket has a solution someone decided on.
SOLVED = (Status.RESOLVED, Status.IN_REVIEW, Status.AWAITING_FEEDBACK, Status.CLOSED)


class ArticleDetail(BaseModel):
    article: Article
    versions: list[ArticleVersion]


class SearchHit(BaseModel):
    article: Article
    score: float = Field(description="Postgres ts_rank over the question (weight A) and answer (B)")
    matched: list[str] = Field(description="the query's words found in the article")
    question: str = Field(description="the question with the matched words marked 【like this】")
    answer: str = Field(description="the answer around its first match, marked likewise")


class SearchResult(BaseModel):
    query_terms: list[str]
    hits: list[SearchHit]


async def _tokens(fields: ArticleFields) -> tuple[list[str], list[str]]:
    # Off the loop: the first segmentation in a process loads jieba's dictionary (about a second).
    return await asyncio.to_thread(lambda: (tokens(fields.question), tokens(fields.answer)))


async def hits(request: Request, q: str, limit: int, category: Category | None, drafts: bool) -> SearchResult:
    """Articles for a text, best first, each with its score and the words that matched."""
    wanted = await asyncio.to_thread(terms, q)
    status = None if drafts else ArticleStatus.PUBLISHED
    found = await store.search(pool_of(request), wanted, limit, category.value if category else None, status)
    out = []
    for article, rank in found:
        text = f"{article.question}\n{article.answer}".lower()
        matched = [t for t in wanted if t in text]
        out.append(
            SearchHit(
                article=article,
                score=round(rank, 6),
                matched=matched,
                question=highlight(article.question, matched, width=1_000),
                answer=highlight(article.answer, matched),
            )
        )
    return SearchResult(query_terms=wanted, hits=out)


@router.post("/kb/articles", status_code=201, response_model=Article, responses=RESPONSES)
async def create_article(
    request: Request, body: ArticleFields, caller: Principal = Depends(_STAFF)
) -> Article:
    """A new draft article; a supervisor publishes it."""
    q, a = await _tokens(body)
    article, _ = await store.create(pool_of(request), body, caller.actor, q, a)
    return article


@router.get("/kb/articles/{article_id}", response_model=ArticleDetail, responses=RESPONSES)
async def read_article(
    request: Request, article_id: int = ARTICLE_ID, caller: Principal = Depends(_STAFF)
) -> ArticleDetail:
    """The article at its current version, and every version it had."""
    article = await store.get(pool_of(request), article_id)
    if article is None:
        raise ApiError(404, "not_found", f"no article {article_id}")
    return ArticleDetail(article=article, versions=await store.versions(pool_of(request), article_id))


@router.put("/kb/articles/{article_id}", response_model=Article, responses=RESPONSES)
async def revise_article(
    request: Request, body: ArticleFields, article_id: int = ARTICLE_ID, caller: Principal = Depends(_STAFF)
) -> Article:
    """The next version (the earlier ones are kept); a draft again until a supervisor publishes it."""
    q, a = await _tokens(body)
    article = await store.revise(pool_of(request), article_id, body, caller.actor, q, a)
    if article is None:
        raise ApiError(404, "not_found", f"no article {article_id}")
    return article


@router.post("/kb/articles/{article_id}/publish", response_model=Article, responses=RESPONSES)
async def publish_article(
    request: Request, article_id: int = ARTICLE_ID, caller: Principal = Depends(_SUPERVISORS)
) -> Article:
    """A supervisor publishes the current version: agents find it in search and suggestions."""
    article = await store.publish(pool_of(request), article_id, caller.actor)
    if article is None:
        raise ApiError(404, "not_found", f"no article {article_id}")
    return article


@router.get("/kb/search", response_model=SearchResult, responses=RESPONSES)
async def search(
    request: Request,
    q: str = Query(
        min_length=1, max_length=500, pattern=r"^[^\x00]*$", description="Chinese or English, spaces or none"
    ),
    category: Category | None = None,
    limit: int = Query(default=5, ge=1, le=50),
    drafts: bool = Query(default=False, description="drafts too (published only by default)"),
    caller: Principal = Depends(_STAFF),
) -> SearchResult:
    """Published articles for a text, ranked, with the matched words marked."""
    return await hits(request, q, limit, category, drafts)


@router.post("/tickets/{ticket_no}/promote", status_code=201, response_model=Article, responses=RESPONSES)
async def promote(
    request: Request, response: Response, ticket_no: str = TICKET_NO, caller: Principal = Depends(_STAFF)
) -> Article:
    """A resolved ticket's solution becomes a draft article (seed 004: the FAQ grows from solved cases):
    the customer's words (contact details masked) as the question, the solution and its cause as the
    answer. Once per ticket: again, the same article (200)."""
    pool = pool_of(request)
    row = await get_ticket_row(pool, ticket_no)
    if row is None or row.view is None:
        raise ApiError(404, "not_found", f"no ticket {ticket_no}")
    check_access(caller, scope_of(row.view))
    view = row.view
    if view.status not in SOLVED or not view.solution:
        raise ApiError(
            409, "rejected", f"ticket is {view.status.value}; only a resolved ticket has a solution"
        )
    cause = f"\n原因 Cause: {view.root_cause.why}" if view.root_cause else ""
    fields = ArticleFields(
        question=mask_text(row.description)[:1_000],
        answer=(view.solution + cause)[:10_000],
        category=view.category,
        tags=[view.kind.value, f"ticket:{ticket_no}"],
    )
    q, a = await _tokens(fields)
    article, created = await store.create(pool, fields, caller.actor, q, a, source_ticket=ticket_no)
    response.status_code = 201 if created else 200
    return article
