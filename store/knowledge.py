"""Knowledge-base articles: every version kept, the current one indexed by its jieba tokens."""

from collections.abc import Sequence

import asyncpg

from domain.knowledge import Article, ArticleFields, ArticleStatus, ArticleVersion

# The question's tokens weigh A, the answer's B; lexemes verbatim, so Chinese needs no Postgres parser.
_VECTOR = "setweight(array_to_tsvector($1::text[]), 'A') || setweight(array_to_tsvector($2::text[]), 'B')"
_COLUMNS = (
    "id, status, version, question, answer, category, product, tags, author, source_ticket, published_by,"
    " published_at, updated_at"
)


def _article(row: asyncpg.Record) -> Article:
    return Article.model_validate({**dict(row), "tags": list(row["tags"] or [])})


async def create(
    pool: asyncpg.Pool,
    fields: ArticleFields,
    author: str,
    question_tokens: Sequence[str],
    answer_tokens: Sequence[str],
    source_ticket: str | None = None,
) -> tuple[Article, bool]:
    """A new draft at version 1, and True; for a ticket already promoted, its article and False."""
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            f"INSERT INTO kb_articles (status, question, answer, category, product, tags, author,"
            f" source_ticket, search) VALUES ('draft', $3, $4, $5, $6, $7, $8, $9, {_VECTOR})"
            f" ON CONFLICT (source_ticket) DO NOTHING RETURNING {_COLUMNS}",
            list(question_tokens),
            list(answer_tokens),
            fields.question,
            fields.answer,
            fields.category.value if fields.category else None,
            fields.product,
            fields.tags,
            author,
            source_ticket,
        )
        if row is None:
            existing = await conn.fetchrow(
                f"SELECT {_COLUMNS} FROM kb_articles WHERE source_ticket = $1", source_ticket
            )
            assert existing is not None
            return _article(existing), False
        await _keep_version(conn, row["id"], 1, fields, author)
        return _article(row), True


async def _keep_version(
    conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy,
    article_id: int,
    version: int,
    fields: ArticleFields,
    author: str,
) -> None:
    await conn.execute(
        "INSERT INTO kb_article_versions (article_id, version, question, answer, category, product, tags,"
        " author) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
        article_id,
        version,
        fields.question,
        fields.answer,
        fields.category.value if fields.category else None,
        fields.product,
        fields.tags,
        author,
    )


async def revise(
    pool: asyncpg.Pool,
    article_id: int,
    fields: ArticleFields,
    author: str,
    question_tokens: Sequence[str],
    answer_tokens: Sequence[str],
) -> Article | None:
    """The next version, back to draft until a supervisor publishes it; None: no such article."""
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            f"UPDATE kb_articles SET version = version + 1, status = 'draft', question = $3, answer = $4,"
            f" category = $5, product = $6, tags = $7, author = $8, search = {_VECTOR}, updated_at = now()"
            f" WHERE id = $9 RETURNING {_COLUMNS}",
            list(question_tokens),
            list(answer_tokens),
            fields.question,
            fields.answer,
            fields.category.value if fields.category else None,
            fields.product,
            fields.tags,
            author,
            article_id,
        )
        if row is None:
            return None
        await _keep_version(conn, article_id, row["version"], fields, author)
        return _article(row)


async def publish(pool: asyncpg.Pool, article_id: int, by: str) -> Article | None:
    row = await pool.fetchrow(
        f"UPDATE kb_articles SET status = 'published', published_by = $2, published_at = now(),"
        f" updated_at = now() WHERE id = $1 RETURNING {_COLUMNS}",
        article_id,
        by,
    )
    return _article(row) if row else None


async def get(pool: asyncpg.Pool, article_id: int) -> Article | None:
    row = await pool.fetchrow(f"SELECT {_COLUMNS} FROM kb_articles WHERE id = $1", article_id)
    return _article(row) if row else None


async def versions(pool: asyncpg.Pool, article_id: int) -> list[ArticleVersion]:
    rows = await pool.fetch(
        "SELECT version, question, answer, category, product, tags, author, at FROM kb_article_versions"
        " WHERE article_id = $1 ORDER BY version",
        article_id,
    )
    return [ArticleVersion.model_validate({**dict(r), "tags": list(r["tags"] or [])}) for r in rows]


async def search(
    pool: asyncpg.Pool,
    terms: Sequence[str],
    limit: int,
    category: str | None = None,
    status: ArticleStatus | None = ArticleStatus.PUBLISHED,
) -> list[tuple[Article, float]]:
    """Articles matching any term, best first (weighted: question over answer, more terms over fewer)."""
    if not terms:
        return []
    # Each term quoted as a lexeme of its own (`'物流' | '发货'`, a quote inside doubled) and cast, not
    # parsed: the lexemes are the segmenter's, like the index's.
    query = " | ".join("'" + t.replace("\\", "\\\\").replace("'", "''") + "'" for t in terms)
    rows = await pool.fetch(
        f"SELECT {_COLUMNS}, ts_rank(search, q, 1) AS rank FROM kb_articles, CAST($1 AS tsquery) q"
        " WHERE search @@ q AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR category = $3)"
        " ORDER BY rank DESC, id LIMIT $4",
        query,
        status.value if status else None,
        category,
        limit,
    )
    return [(_article(r), float(r["rank"])) for r in rows]
