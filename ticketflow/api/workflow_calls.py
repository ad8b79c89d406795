"""Calls from the API into a ticket's workflow (start, `view` query, updates), Temporal's errors mapped.

A rejected update is 409 with the validator's reason, an unknown workflow 404, Temporal down 503.
"""

import asyncio
from datetime import timedelta

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

from ticketflow.api.errors import ApiError
from ticketflow.domain.ticket import WORKFLOW_NAME, TicketInput, TicketView

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


async def run_update(client: Client, ticket_no: str, update: str, arg: BaseModel) -> TicketView:
    """Run one update; its validator's or handler's ApplicationError answers 409 with the reason."""
    handle = client.get_workflow_handle(ticket_no)
    try:
        view: TicketView = await handle.execute_update(
            update, arg, result_type=TicketView, rpc_timeout=_UPDATE_TIMEOUT
        )
        return view
    except WorkflowUpdateFailedError as e:
        cause = e.cause
        message = cause.message if isinstance(cause, ApplicationError) else str(cause or e)
        raise ApiError(409, "rejected", message) from e
    except WorkflowUpdateRPCTimeoutOrCancelledError as e:
        raise _unavailable(e) from e
    except RPCError as e:
        if e.status == RPCStatusCode.NOT_FOUND:
            raise ApiError(409, "closed", f"ticket {ticket_no} is closed: it takes no more actions") from e
        raise _unavailable(e) from e
