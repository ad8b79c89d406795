"""Collaboration requests per asked team over any span: counts and on-time rate, for the report endpoint."""

from datetime import UTC, datetime

import asyncpg

from domain.report import CollaborationFigures
from store.report_work import collaboration_per_team


async def per_team(pool: asyncpg.Pool, since: datetime, until: datetime) -> list[CollaborationFigures]:
    """Requests asked in [since, until), per asked team, read from the timeline by their asking time (an
    index, not every ticket's view); a late one is counted as of now."""
    return await collaboration_per_team(pool, since, until, datetime.now(UTC))
