-- The knowledge base (issue 21, seed 004): articles with every version kept; search over jieba tokens.
-- The tokens are the segmenter's (reading/segment.py), stored as lexemes verbatim (array_to_tsvector), so
-- Postgres' own parser never has to split Chinese text; the question weighs more than the answer.
CREATE TABLE kb_articles (
    id             bigserial PRIMARY KEY,
    status         text NOT NULL CHECK (status IN ('draft', 'published')),
    version        integer NOT NULL DEFAULT 1,
    question       text NOT NULL,
    answer         text NOT NULL,
    category       text,
    product        text,
    tags           text[] NOT NULL DEFAULT '{}',
    author         text NOT NULL,
    source_ticket  text UNIQUE,
    published_by   text,
    published_at   timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    search         tsvector NOT NULL
);
CREATE INDEX kb_articles_search ON kb_articles USING gin (search);

CREATE TABLE kb_article_versions (
    article_id  bigint NOT NULL REFERENCES kb_articles (id),
    version     integer NOT NULL,
    question    text NOT NULL,
    answer      text NOT NULL,
    category    text,
    product     text,
    tags        text[] NOT NULL DEFAULT '{}',
    author      text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (article_id, version)
);
