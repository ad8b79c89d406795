"""Counting new tickets towards hotspots: signal-with-start of their category's HotspotWorkflow."""

import asyncio
from dataclasses import dataclass, field

from temporalio.client import Client

from domain import hotspot_window
from domain.enums import Category
from domain.hotspot_window import HotspotInput, TicketOpened
from domain.policy import Hotspot

ID_PREFIX = "hotspot"


def prefix_for(task_queue: str) -> str:
    """Counters are per deployment, and a deployment is its task queue: `hotspot-tickets-<category>`.

    Two deployments (or two test runs) sharing one Temporal namespace never count into each other."""
    return f"{ID_PREFIX}-{task_queue}"


def workflow_id(category: Category, id_prefix: str = ID_PREFIX) -> str:
    """`hotspot-<category>`: one counter per category for the whole deployment."""
    return f"{id_prefix}-{category.value}"


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


@dataclass
class _Lane:
    """One counter's tickets waiting in this process, and the task sending them."""

    waiting: list[tuple[TicketOpened, "asyncio.Future[None]"]] = field(default_factory=list)
    sender: "asyncio.Task[None] | None" = None
    last_sent: float = float("-inf")


class HotspotCounter:
    """Counts this process's new tickets towards hotspots: at most one signal a counter every `spacing`
    seconds, carrying every ticket that arrived meanwhile, so a flood's counter can still continue as new.

    `count` returns once the signal carrying the ticket was accepted, and raises what the signal raised:
    intake finishes a ticket only once it is counted (a retry counts it again; the counter ignores repeats).
    """

    def __init__(
        self,
        client: Client,
        task_queue: str,
        *,
        rule: Hotspot | None = None,
        id_prefix: str = ID_PREFIX,
        spacing: float,
        max_batch: int = 500,
    ) -> None:
        self._client, self._task_queue, self._rule = client, task_queue, rule or Hotspot()
        self._prefix, self._spacing, self._max_batch = id_prefix, spacing, max_batch
        self._lanes: dict[Category, _Lane] = {}

    async def count(self, ticket: TicketOpened) -> None:
        lane = self._lanes.setdefault(ticket.category, _Lane())
        counted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        lane.waiting.append((ticket, counted))
        if lane.sender is None or lane.sender.done():
            lane.sender = asyncio.create_task(self._send(ticket.category, lane))
        await counted

    async def aclose(self) -> None:
        """Let the signals under way finish (at shutdown)."""
        await asyncio.gather(
            *(lane.sender for lane in self._lanes.values() if lane.sender), return_exceptions=True
        )

    async def _send(self, category: Category, lane: _Lane) -> None:
        loop = asyncio.get_running_loop()
        while lane.waiting:
            wait = lane.last_sent + self._spacing - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            batch, lane.waiting = lane.waiting[: self._max_batch], lane.waiting[self._max_batch :]
            lane.last_sent = loop.time()
            try:
                await self._client.start_workflow(
                    hotspot_window.WORKFLOW_NAME,
                    HotspotInput(category=category, rule=self._rule),
                    id=workflow_id(category, self._prefix),
                    task_queue=hotspot_window.counter_queue(self._task_queue),
                    start_signal=hotspot_window.SIGNAL_TICKETS_OPENED,
                    start_signal_args=[[ticket for ticket, _ in batch]],
                )
            except Exception as failure:  # noqa: BLE001 - handed to each waiting intake, which answers for it
                for _, counted in batch:
                    if not counted.done():
                        counted.set_exception(failure)
            else:
                for _, counted in batch:
                    if not counted.done():
                        counted.set_result(None)
