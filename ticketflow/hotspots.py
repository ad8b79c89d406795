"""Counting a new ticket towards hotspots: signal-with-start of its category's HotspotWorkflow."""

from temporalio.client import Client

from ticketflow.domain import hotspot
from ticketflow.domain.enums import Category
from ticketflow.domain.hotspot import HotspotInput, TicketOpened
from ticketflow.domain.policy import Hotspot

ID_PREFIX = "hotspot"


def prefix_for(task_queue: str) -> str:
    """Counters are per deployment, and a deployment is its task queue: `hotspot-tickets-<category>`.

    Two deployments (or two test runs) sharing one Temporal namespace never count into each other."""
    return f"{ID_PREFIX}-{task_queue}"


def workflow_id(category: Category, id_prefix: str = ID_PREFIX) -> str:
    """`hotspot-<category>`: one counter per category for the whole deployment."""
    return f"{id_prefix}-{category.value}"


async def count_ticket(
    client: Client,
    task_queue: str,
    ticket: TicketOpened,
    *,
    rule: Hotspot | None = None,
    id_prefix: str = ID_PREFIX,
) -> str:
    """Send `ticket_opened` to the category's workflow, starting it on the counters' queue when none runs;
    returns its id.

    `rule` only matters when this call starts the workflow; a running one keeps the rule it started with
    until it continues as new. Call it once the ticket number exists (a repeated call is ignored).
    """
    wf_id = workflow_id(ticket.category, id_prefix)
    # By name, not by class: callers (the API) must not import workflow code.
    await client.start_workflow(
        hotspot.WORKFLOW_NAME,
        HotspotInput(category=ticket.category, rule=rule or Hotspot()),
        id=wf_id,
        task_queue=hotspot.counter_queue(task_queue),
        start_signal=hotspot.SIGNAL_TICKET_OPENED,
        start_signal_args=[ticket],
    )
    return wf_id


async def incident_closed(
    client: Client, category: Category, incident_id: int, *, id_prefix: str = ID_PREFIX
) -> None:
    """Tell the category's workflow an incident was closed, so its group counts afresh (best effort)."""
    from temporalio.service import RPCError

    try:
        await client.get_workflow_handle(workflow_id(category, id_prefix)).signal(
            "incident_closed", incident_id
        )
    except RPCError:
        # No counter running: nothing remembers the incident, and the link activity checks the status anyway.
        pass
