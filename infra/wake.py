"""Waking queued tickets: a freed slot in a team signals the tickets at the head of its queue."""

from collections.abc import Iterable

from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

# The ticket workflow's signal: a queued ticket tries its assignment again at once.
SLOT_FREED = "slot_freed"


async def wake(client: Client, ticket_nos: Iterable[str]) -> list[str]:
    """Signal each ticket (workflow id = ticket number); those no longer running, to take off the queue."""
    gone = []
    for ticket_no in ticket_nos:
        try:
            await client.get_workflow_handle(ticket_no).signal(SLOT_FREED)
        except RPCError as e:
            if e.status is not RPCStatusCode.NOT_FOUND:
                raise
            gone.append(ticket_no)
    return gone
