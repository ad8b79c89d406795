"""Reports for managers: the weekly and monthly reports (JSON or their HTML page), hotspot incidents, root
causes."""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from temporalio.common import WorkflowIDConflictPolicy

from api import hotspot_signals
from api.access import check_access
from api.actions import TICKET_NO
from api.auth import Principal, require
from api.errors import ApiError, ErrorResponse
from api.report_page import render_weekly
from api.state import policy_of, pool_of, settings_of, temporal_of
from domain.access import scope_of
from domain.boundary import Boundary
from domain.enums import ApiRole, Category, Fishbone
from domain.incident import Incident, IncidentStatus
from domain.report import (
    MONTH_PATTERN,
    MONTHLY_KIND,
    REPORT_WORKFLOW_NAME,
    WEEK_PATTERN,
    NoSuchWeek,
    ReportInput,
    WeekError,
    WeeklyReport,
    month_bounds,
    parse_month,
    parse_week,
    previous_month,
    previous_week,
    week_bounds,
)
from store import incidents as incident_store
from store import reports as report_store
from store import root_causes
from store.root_causes import RootCauseHit
from store.ticket_reads import get_ticket_row

router = APIRouter(tags=["reports"])

_MANAGERS = require(ApiRole.SUPERVISOR, ApiRole.HEAD, ApiRole.DIRECTOR, ApiRole.ADMIN)
_STAFF = require(ApiRole.AGENT, ApiRole.SUPERVISOR, ApiRole.HEAD, ApiRole.DIRECTOR, ApiRole.ADMIN)


_NOT_OVER: dict[str, Any] = {"model": ErrorResponse, "description": "the week has not ended yet"}
WeekPath = Annotated[str, Path(pattern=WEEK_PATTERN, description="ISO week, e.g. 2026-W47")]


class ReportRun(BaseModel):
    """A week's report run on demand: one at a time a week, so a repeat answers the run under way."""

    week: str
    workflow_id: str
    run_id: str


class CloseIncident(Boundary):
    note: str | None = Field(default=None, max_length=2_000)


def _week(request: Request, week: str | None) -> str:
    zone = policy_of(request).report.timezone
    if week is None:
        return previous_week(datetime.now(UTC), zone)
    try:
        parse_week(week)
    except NoSuchWeek as e:
        raise ApiError(404, "not_found", str(e), "week") from e
    except WeekError as e:
        raise ApiError(422, "invalid", str(e), "week") from e
    return week


async def _report(request: Request, week: str, refresh: bool) -> WeeklyReport:
    """The stored report; a past week without one (or `refresh`) is aggregated now and stored."""
    pool = pool_of(request)
    if not refresh:
        stored = await report_store.load(pool, week)
        if stored is not None:
            return stored
    policy = policy_of(request)
    _, end = week_bounds(week, policy.report.timezone)
    if end > datetime.now(UTC):
        raise ApiError(409, "week_not_over", f"week {week} has not ended yet; its report is made afterwards")
    return await report_store.build_and_save(pool, policy, week)


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept.split("text/html")[0]


@router.get(
    "/reports/weekly",
    response_model=WeeklyReport,
    responses={
        200: {"content": {"text/html": {}}},
        404: {"model": ErrorResponse, "description": "the year has no such week (week 53)"},
        409: _NOT_OVER,
    },
    summary="The weekly report (JSON; the HTML page with Accept: text/html)",
)
async def weekly_report(
    request: Request,
    week: Annotated[
        str | None, Query(pattern=WEEK_PATTERN, description="ISO week, e.g. 2026-W47; default: last week")
    ] = None,
    refresh: bool = False,
    _: Principal = Depends(_MANAGERS),
) -> Response:
    report = await _report(request, _week(request, week), refresh)
    if _wants_html(request):
        return HTMLResponse(render_weekly(report))
    return JSONResponse(report.model_dump(mode="json"))


@router.get(
    "/reports/weekly/{week}.html",
    response_class=HTMLResponse,
    summary="The weekly report page",
    responses={409: _NOT_OVER},
)
async def weekly_report_page(
    request: Request, week: WeekPath, _: Principal = Depends(_MANAGERS)
) -> HTMLResponse:
    return HTMLResponse(render_weekly(await _report(request, _week(request, week), False)))


def _month(request: Request, month: str | None) -> str:
    if month is None:
        return previous_month(datetime.now(UTC), policy_of(request).report.timezone)
    try:
        parse_month(month)
    except WeekError as e:
        raise ApiError(422, "invalid", str(e), "month") from e
    return month


async def _monthly(request: Request, month: str, refresh: bool) -> WeeklyReport:
    """The stored monthly report; a past month without one (or `refresh`) is aggregated now and stored."""
    pool = pool_of(request)
    if not refresh:
        stored = await report_store.load(pool, month, MONTHLY_KIND)
        if stored is not None:
            return stored
    policy = policy_of(request)
    _, end = month_bounds(month, policy.report.timezone)
    if end > datetime.now(UTC):
        raise ApiError(
            409, "month_not_over", f"month {month} has not ended yet; its report is made afterwards"
        )
    return await report_store.build_and_save(pool, policy, month, MONTHLY_KIND)


@router.get(
    "/reports/monthly",
    response_model=WeeklyReport,
    responses={
        200: {"content": {"text/html": {}}},
        409: {"model": ErrorResponse},
        422: {"model": ErrorResponse},
    },
    summary="The monthly report (JSON; the HTML page with Accept: text/html)",
)
async def monthly_report(
    request: Request,
    month: Annotated[
        str | None, Query(pattern=MONTH_PATTERN, description="a month, e.g. 2026-11; default: last month")
    ] = None,
    refresh: bool = False,
    _: Principal = Depends(_MANAGERS),
) -> Response:
    report = await _monthly(request, _month(request, month), refresh)
    if _wants_html(request):
        return HTMLResponse(render_weekly(report))
    return JSONResponse(report.model_dump(mode="json"))


@router.get(
    "/reports/monthly/{month}.html",
    response_class=HTMLResponse,
    summary="The monthly report page",
    responses={409: {"model": ErrorResponse, "description": "the month has not ended yet"}},
)
async def monthly_report_page(
    request: Request,
    month: Annotated[str, Path(pattern=MONTH_PATTERN, description="a month, e.g. 2026-11")],
    _: Principal = Depends(_MANAGERS),
) -> HTMLResponse:
    return HTMLResponse(render_weekly(await _monthly(request, _month(request, month), False)))


@router.get("/reports/weekly-index", response_model=list[str], summary="Weeks with a stored report")
async def report_weeks(request: Request, _: Principal = Depends(_MANAGERS)) -> list[str]:
    return await report_store.weeks(pool_of(request))


@router.post("/reports/weekly/{week}/run", response_model=ReportRun, status_code=202)
async def run_weekly_report(request: Request, week: WeekPath, _: Principal = Depends(_MANAGERS)) -> ReportRun:
    """Run the report workflow for a past week now (recomputes and stores it; supervisors are not re-told)."""
    week, task_queue = _week(request, week), settings_of(request).task_queue
    handle = await temporal_of(request).start_workflow(
        REPORT_WORKFLOW_NAME,
        ReportInput(week=week, notify=False),
        id=f"weekly-report-{task_queue}-{week}",
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    return ReportRun(week=week, workflow_id=handle.id, run_id=handle.result_run_id or "")


@router.get("/incidents", response_model=list[Incident], summary="Hotspot incidents, newest first")
async def list_incidents(
    request: Request,
    status: IncidentStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before_id: int | None = None,
    _: Principal = Depends(_STAFF),
) -> list[Incident]:
    return await incident_store.listing(pool_of(request), status, limit, before_id)


@router.get("/incidents/{incident_id}", response_model=Incident)
async def get_incident(request: Request, incident_id: int, _: Principal = Depends(_STAFF)) -> Incident:
    found = await incident_store.get(pool_of(request), incident_id)
    if found is None:
        raise ApiError(404, "not_found", f"no incident {incident_id}")
    return found


@router.get("/tickets/{ticket_no}/incidents", response_model=list[Incident])
async def ticket_incidents(
    request: Request, ticket_no: str = TICKET_NO, caller: Principal = Depends(_STAFF)
) -> list[Incident]:
    """The incidents a ticket is linked to, for whoever may read the ticket."""
    row = await get_ticket_row(pool_of(request), ticket_no)
    if row is None:
        raise ApiError(404, "not_found", f"no ticket {ticket_no}")
    check_access(caller, scope_of(row))
    return await incident_store.of_ticket(pool_of(request), ticket_no)


@router.post("/incidents/{incident_id}/close", response_model=Incident)
async def close_incident(
    request: Request,
    incident_id: int,
    body: CloseIncident | None = None,
    who: Principal = Depends(_MANAGERS),
) -> Incident:
    """A supervisor closes the incident: later tickets no longer join it, and their group counts afresh."""
    pool = pool_of(request)
    found = await incident_store.get(pool, incident_id)
    if found is None:
        raise ApiError(404, "not_found", f"no incident {incident_id}")
    if found.status is IncidentStatus.CLOSED:
        return found
    closed = await incident_store.close(
        pool, incident_id, who.actor, body.note if body else None, datetime.now(UTC)
    )
    assert closed is not None
    await hotspot_signals.incident_closed(
        temporal_of(request),
        closed.category,
        incident_id,
        id_prefix=hotspot_signals.prefix_for(settings_of(request).task_queue),
    )
    return closed


@router.get("/root-causes", response_model=list[RootCauseHit], summary="Search recorded root causes")
async def search_root_causes(
    request: Request,
    factor: Fishbone | None = None,
    category: Category | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    common: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    _: Principal = Depends(_STAFF),
) -> list[RootCauseHit]:
    return await root_causes.search(
        pool_of(request),
        factor=factor.value if factor else None,
        category=category.value if category else None,
        text=q,
        common=common,
        limit=limit,
    )
