"""Knowledge-base articles (seed 004: FAQ and product knowledge, grown from solved cases): what they hold,
and how a search hit shows why it matched."""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from domain.boundary import Boundary
from domain.enums import Category


class ArticleStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class ArticleFields(Boundary):
    """What an author writes: the question as customers ask it, the answer agents give."""

    question: str = Field(min_length=1, max_length=1_000)
    answer: str = Field(min_length=1, max_length=10_000)
    category: Category | None = None
    product: str | None = Field(default=None, max_length=128)
    tags: list[str] = Field(default=[], max_length=20)


class Article(BaseModel):
    """An article at its current version."""

    id: int
    status: ArticleStatus
    version: int
    question: str
    answer: str
    category: Category | None = None
    product: str | None = None
    tags: list[str] = []
    author: str
    source_ticket: str | None = None
    published_by: str | None = None
    published_at: datetime | None = None
    updated_at: datetime


class ArticleVersion(BaseModel):
    version: int
    question: str
    answer: str
    category: Category | None = None
    product: str | None = None
    tags: list[str] = []
    author: str
    at: datetime


MARK_OPEN, MARK_CLOSE = "【", "】"


def highlight(text: str, terms: list[str], width: int = 120) -> str:
    """`text` with every term marked 【like this】, cut to about `width` characters around the first match."""
    wanted = sorted({t for t in terms if t.strip()}, key=len, reverse=True)
    lowered = text.lower()
    first = min((i for i in (lowered.find(t) for t in wanted) if i >= 0), default=0)
    start = max(0, first - width // 4)
    snippet = text[start : start + width]
    out, i = [], 0
    low = snippet.lower()
    while i < len(snippet):
        term = next((t for t in wanted if low.startswith(t, i)), None)
        if term is None:
            out.append(snippet[i])
            i += 1
        else:
            out.append(f"{MARK_OPEN}{snippet[i : i + len(term)]}{MARK_CLOSE}")
            i += len(term)
    return ("…" if start else "") + "".join(out) + ("…" if start + width < len(text) else "")
