"""The compensation report: amounts offered and accepted per category, type and currency in a month."""

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from api.auth import Principal, require
from api.errors import ApiError, ErrorResponse
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
    month: str = Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM (UTC): tickets closed in it"),
    _: Principal = Depends(_MANAGERS),
) -> CompensationReport:
    """Compensation of the tickets closed in the month, per category, type and currency (seeds 000–002)."""
    year, number = int(month[:4]), int(month[5:])
    if not 1 <= number <= 12 or year < 2000:
        raise ApiError(422, "invalid", "month: must be YYYY-MM", "month")
    since = datetime(year, number, 1, tzinfo=UTC)
    until = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC)
    return CompensationReport(
        month=month, totals=await compensation_store.totals(pool_of(request), since, until)
    )
