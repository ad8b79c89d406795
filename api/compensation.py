"""The compensation report: amounts offered and accepted per category, type and currency in a month."""

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from api.auth import Principal, require
from api.errors import ErrorResponse
from api.state import pool_of
from domain.enums import ApiRole
from store import compensation as compensation_store

router = APIRouter(tags=["reports"])

_MANAGERS = require(ApiRole.SUPERVISOR, ApiRole.HEAD, ApiRole.DIRECTOR, ApiRole.ADMIN)


class CompensationReport(BaseModel):
    month: str
    totals: list[compensation_store.CompensationTotal]


@router.get(
    "/reports/compensation",
    response_model=CompensationReport,
    responses={401: {"model": ErrorResponse}, 403: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
)
async def report(
    request: Request,
    month: str = Query(
        pattern=r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])$", description="YYYY-MM (UTC): tickets closed in it"
    ),
    _: Principal = Depends(_MANAGERS),
) -> CompensationReport:
    """Compensation of the tickets closed in the month, per category, type and currency (seeds 000–002)."""
    year, number = int(month[:4]), int(month[5:])
    since = datetime(year, number, 1, tzinfo=UTC)
    # The month after 9999-12 is past what a datetime holds: its end is the end of time.
    until = (
        datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC)
        if (year, number) < (9999, 12)
        else datetime.max.replace(tzinfo=UTC)
    )
    return CompensationReport(
        month=month, totals=await compensation_store.totals(pool_of(request), since, until)
    )
