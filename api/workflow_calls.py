"""Calls from the API into a ticket's workflow (start, `view` query, updates), Temporal's errors mapped.

A caller the update's validator does not let see the ticket is 404, any other refusal 409 with the
validator's reason, a workflow that is not running WorkflowGone, Temporal down 503.
"""

import asyncio
from datetime import timedelta

import asyncpg
import structlog
from pydantic import BaseModel
from temporalio.client import (
    Client,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.errors import ApiError
from domain.access import Caller, refusal, scope_of
from domain.ticket import WORKFLOW_NAME, TicketInput, TicketView
from store.ticket_reads import get_ticket_row

log = structlog.get_logger(__name__)

_QUERY_TIMEOUT = timedelta(seconds=10)
_UPDATE_TIMEOUT = timedelta(seconds=30)


class WorkflowGone(Exception):
    """No workflow with this id: never started, or its history is gone (completed and purged)."""


def _unavailable(e: Exception) -> ApiError:
    log.warning("temporal call failed", error=f"{type(e).__name__}: {e}")
    return ApiError(503, "unavailable", "the ticket engine is not answering; retry shortly")


async def start_ticket(client: Client, task_queue: str, ticket: TicketInput) -> None:
    """Start the ticket's workflow (id = ticket number); one already started, running or not, is success."""
    try:
        await client.start_workflow(
            WORKFLOW_NAME,
            ticket,
            id=ticket.ticket_no,
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            static_summary=f"{ticket.priority.value} {ticket.kind.value} / {ticket.category.value}",
        )
    except WorkflowAlreadyStartedError:
        pass
    except RPCError as e:
        raise _unavailable(e) from e


async def query_view(client: Client, ticket_no: str) -> TicketView:
    """The live view; raises WorkflowGone when there is no such workflow, ApiError 503 when Temporal fails."""
    handle = client.get_workflow_handle(ticket_no)
    for attempt in range(20):
        try:
            view: TicketView = await handle.query("view", result_type=TicketView, rpc_timeout=_QUERY_TIMEOUT)
            return view
        except RPCError as e:
            if e.status == RPCStatusCode.NOT_FOUND:
                raise WorkflowGone(ticket_no) from e
            # A workflow whose first task has not run yet cannot answer queries: wait a moment.
            if e.status == RPCStatusCode.FAILED_PRECONDITION and attempt < 19:
                await asyncio.sleep(0.1)
                continue
            raise _unavailable(e) from e
        except (WorkflowQueryFailedError, WorkflowQueryRejectedError) as e:
            raise _unavailable(e) from e
    raise AssertionError("unreachable")


async def run_update(
    client: Client, ticket_no: str, update: str, arg: BaseModel, update_id: str | None = None
) -> TicketView:
    """Run one update: the caller refused by its validator answers 403, any other refusal 409 with the
    reason; a workflow that is no longer running raises WorkflowGone (the caller tells 404 from closed)."""
    handle = client.get_workflow_handle(ticket_no)
    try:
        view: TicketView = await handle.execute_update(
            update, arg, id=update_id, result_type=TicketView, rpc_timeout=_UPDATE_TIMEOUT
        )
        return view
    except WorkflowUpdateFailedError as e:
        cause = e.cause
        if isinstance(cause, ApplicationError) and cause.type == "Forbidden":
            raise ApiError(404, "not_found", cause.message) from e
        message = cause.message if isinstance(cause, ApplicationError) else str(cause or e)
        raise ApiError(409, "rejected", message) from e
    except WorkflowUpdateRPCTimeoutOrCancelledError as e:
        raise _unavailable(e) from e
    except RPCError as e:
        if e.status == RPCStatusCode.NOT_FOUND:
            raise WorkflowGone(ticket_no) from e
        raise _unavailable(e) from e


async def gone(pool: asyncpg.Pool, ticket_no: str, caller: Caller | None) -> ApiError:
    """What to answer for an action on a ticket whose workflow is not running: 404 when there is no such
    ticket or the caller may not see it, else 409: a closed ticket takes no more actions."""
    row = await get_ticket_row(pool, ticket_no)
    if row is None or not row.workflow_started:
        return ApiError(404, "not_found", f"no ticket {ticket_no}")
    reason = refusal(caller, scope_of(row)) if caller is not None else None
    if reason is not None:
        return ApiError(404, "not_found", reason)
    return ApiError(409, "closed", f"ticket {ticket_no} is closed: it takes no more actions")
