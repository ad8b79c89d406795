"""Reply scripts (话术, seeds 003 and 004): supervisors write and version them; handlers list them for a
ticket and write a progress note from one, the timeline keeping which."""

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import Field, StrictBool

from api.access import check_access
from api.actions import _HANDLERS, _SUPERVISORS, RESPONSES, TICKET_NO, _Body, perform
from api.auth import Principal
from api.errors import ApiError
from api.idempotency import IDEMPOTENCY_KEY
from api.state import policy_of, pool_of
from domain import actions as act
from domain.access import scope_of
from domain.enums import Category, Kind
from domain.notices import by_time
from domain.scripts import Script, ScriptError, ScriptFields, Section, render, variables
from domain.ticket import TicketView
from store import scripts as store
from store.ticket_reads import get_ticket_row

router = APIRouter(tags=["scripts"])
SCRIPT_ID = Path(ge=1, le=2**31 - 1, description="script id")


class _Scripted(_Body):
    script_id: int = Field(ge=1, le=2**31 - 1)
    version: int | None = Field(default=None, ge=1, le=2**31 - 1, description="None: the current version")
    values: dict[str, str] = Field(default={}, description="the variables the desk does not fill itself")


class ScriptedProgress(_Scripted):
    customer_visible: StrictBool = True


class _ProgressFromScript(_Body):
    note: str = Field(min_length=1, max_length=5_000)
    customer_visible: StrictBool
    script: str


def _checked(fields: ScriptFields) -> ScriptFields:
    try:
        variables(fields.body)
    except ScriptError as e:
        raise ApiError(422, "invalid", str(e), "body") from e
    return fields


@router.get("/scripts", response_model=list[Script], responses=RESPONSES)
async def list_scripts(
    request: Request,
    section: Section | None = None,
    kind: Kind | None = Query(default=None, description="this kind's scripts and the general ones"),
    category: Category | None = Query(default=None, description="likewise for a category"),
    caller: Principal = Depends(_HANDLERS),
) -> list[Script]:
    """Scripts by section, the ones for this kind or category before the general ones."""
    return await store.list_(
        pool_of(request),
        section.value if section else None,
        kind.value if kind else None,
        category.value if category else None,
    )


@router.get("/scripts/{script_id}", response_model=Script, responses=RESPONSES)
async def read_script(
    request: Request,
    script_id: int = SCRIPT_ID,
    version: int | None = Query(
        default=None, ge=1, le=2**31 - 1, description="an earlier version; None: the current"
    ),
    caller: Principal = Depends(_HANDLERS),
) -> Script:
    """The script now, or as it was at an earlier version (every version is kept)."""
    script = await store.get(pool_of(request), script_id, version)
    if script is None:
        raise ApiError(
            404, "not_found", f"no script {script_id}" + (f" version {version}" if version else "")
        )
    return script


@router.post("/scripts", status_code=201, response_model=Script, responses=RESPONSES)
async def create_script(
    request: Request, body: ScriptFields, caller: Principal = Depends(_SUPERVISORS)
) -> Script:
    """A new script (supervisors)."""
    return await store.create(pool_of(request), _checked(body), caller.actor)


@router.put("/scripts/{script_id}", response_model=Script, responses=RESPONSES)
async def revise_script(
    request: Request,
    body: ScriptFields,
    script_id: int = SCRIPT_ID,
    caller: Principal = Depends(_SUPERVISORS),
) -> Script:
    """The script's next version (supervisors); notes written from earlier versions keep theirs."""
    script = await store.revise(pool_of(request), script_id, _checked(body), caller.actor)
    if script is None:
        raise ApiError(404, "not_found", f"no script {script_id}")
    return script


class ScriptedResolution(_Scripted):
    root_cause: act.RootCause


class _ResolveFromScript(_Body):
    solution: str = Field(min_length=1, max_length=5_000)
    root_cause: act.RootCause
    script: str


async def _rendered(request: Request, body: _Scripted, ticket_no: str, caller: Principal) -> tuple[str, str]:
    """The script filled for the ticket, and its `ID@version`."""
    pool = pool_of(request)
    script = await store.get(pool, body.script_id, body.version)
    if script is None:
        raise ApiError(404, "not_found", f"no script {body.script_id}", "script_id")
    row = await get_ticket_row(pool, ticket_no)
    if row is None or row.view is None:
        raise ApiError(404, "not_found", f"no ticket {ticket_no}")
    view = row.view
    check_access(caller, scope_of(view))
    due = view.deadlines.resolve_due
    desk = {"customer": view.customer.display_name, "ticket_no": ticket_no}
    if due is not None:
        desk["due"] = by_time(due, policy_of(request).report.timezone)[0]
    try:
        return render(script.body, {**body.values, **desk}), f"{script.id}@{script.version}"
    except ScriptError as e:
        # The script's own variables decide what is missing: a conflict with it, not a malformed request.
        raise ApiError(409, "rejected", str(e), "values") from e


@router.post("/tickets/{ticket_no}/resolve/script", response_model=TicketView, responses=RESPONSES)
async def resolve_from_script(
    request: Request,
    body: ScriptedResolution,
    ticket_no: str = TICKET_NO,
    caller: Principal = Depends(_HANDLERS),
    key: str | None = IDEMPOTENCY_KEY,
) -> TicketView:
    """The solution written from a script (an explaining one, say), filled like a progress note; the
    timeline's resolved event keeps which script."""
    solution, script = await _rendered(request, body, ticket_no, caller)
    written = _ResolveFromScript(solution=solution, root_cause=body.root_cause, script=script)
    return await perform(request, caller, ticket_no, "resolve", act.Resolve, written, key)


@router.post("/tickets/{ticket_no}/progress/script", response_model=TicketView, responses=RESPONSES)
async def progress_from_script(
    request: Request,
    body: ScriptedProgress,
    ticket_no: str = TICKET_NO,
    caller: Principal = Depends(_HANDLERS),
    key: str | None = IDEMPOTENCY_KEY,
) -> TicketView:
    """A progress note written from a script: `{customer}` (masked), `{ticket_no}` and `{due}` (the
    resolution deadline as people write it) filled by the desk, the rest from `values`."""
    note, script = await _rendered(request, body, ticket_no, caller)
    written = _ProgressFromScript(note=note, customer_visible=body.customer_visible, script=script)
    return await perform(request, caller, ticket_no, "progress", act.ProgressNote, written, key)
