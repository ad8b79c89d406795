"""Hotspot detection (seed 003 共性问题): a sliding window of recent tickets per group, and its threshold.

Pure: the hotspot workflow holds a `HotspotState` and feeds it one `TicketOpened` at a time.
"""

import bisect
from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from domain.enums import Category
from domain.policy import Hotspot

WORKFLOW_NAME = "HotspotWorkflow"
SIGNAL_TICKET_OPENED = "ticket_opened"
SIGNAL_TICKETS_OPENED = "tickets_opened"  # several at once: how intake sends them (api.hotspot_signals)
QUEUE_SUFFIX = "-hotspots"


def counter_queue(task_queue: str) -> str:
    """The counters' own task queue beside a deployment's ticket queue, so a flood of ticket tasks never
    queues ahead of them (idempotent)."""
    return task_queue if task_queue.endswith(QUEUE_SUFFIX) else f"{task_queue}{QUEUE_SUFFIX}"


class TicketOpened(BaseModel):
    """What intake tells the category's hotspot workflow about a new ticket."""

    ticket_no: str = Field(min_length=1)
    category: Category
    product: str | None = None
    order_batch: str | None = None
    opened_at: datetime
    team: str | None = None


class GroupKey(BaseModel, frozen=True):
    """The tickets that count together: one category, and the product or order batch when named."""

    category: Category
    product: str | None = None
    order_batch: str | None = None

    @property
    def id(self) -> str:
        if self.product is not None:
            return f"{self.category.value}|product={self.product}"
        if self.order_batch is not None:
            return f"{self.category.value}|batch={self.order_batch}"
        return self.category.value


class OpenIncident(BaseModel):
    """An incident the workflow keeps linking new tickets to while it stays open."""

    incident_id: int
    key: GroupKey


class Crossing(BaseModel):
    """A group that just reached the threshold: open an incident for these tickets."""

    key: GroupKey
    tickets: list[TicketOpened]

    @property
    def team(self) -> str | None:
        """The owning team: the team most of the tickets went to (earliest wins a tie)."""
        counts: dict[str, int] = {}
        for t in self.tickets:
            if t.team:
                counts[t.team] = counts.get(t.team, 0) + 1
        if not counts:
            return None
        best = max(counts.values())
        return next(t.team for t in self.tickets if t.team and counts[t.team] == best)


class HotspotState(BaseModel):
    """Recent tickets per group, and the open incidents per group; what continue-as-new carries."""

    windows: dict[str, list[TicketOpened]] = {}
    open_incidents: dict[str, OpenIncident] = {}
    incidents_opened: int = 0  # the sequence behind each incident's idempotency key
    seen: list[str] = Field(default=[], description="recent ticket numbers, to ignore a repeated signal")


class HotspotInput(BaseModel):
    """Workflow input: the category counted, the policy's rule, what continue-as-new carries."""

    category: Category
    rule: Hotspot = Hotspot()
    state: HotspotState = HotspotState()
    pending: list[TicketOpened] = []


def group_keys(ticket: TicketOpened) -> list[GroupKey]:
    """A ticket counts with its product and with its order batch; bare category when it names neither."""
    keys: list[GroupKey] = []
    if ticket.product:
        keys.append(GroupKey(category=ticket.category, product=ticket.product))
    if ticket.order_batch:
        keys.append(GroupKey(category=ticket.category, order_batch=ticket.order_batch))
    return keys or [GroupKey(category=ticket.category)]


def observe(
    state: HotspotState, ticket: TicketOpened, rule: Hotspot
) -> tuple[list[OpenIncident], list[Crossing]]:
    """Count one ticket: the open incidents it joins, and the groups it pushes over the threshold.

    Mutates `state`: the ticket enters each of its groups' windows unless the group already has an open
    incident (then it is linked instead); a group that crosses starts an empty window (its tickets go to
    the incident), so one burst opens one incident.
    """
    if ticket.ticket_no in state.seen:
        return [], []
    state.seen = [*state.seen, ticket.ticket_no][-_SEEN_KEPT:]
    joins: list[OpenIncident] = []
    crossings: list[Crossing] = []
    for key in group_keys(ticket):
        incident = state.open_incidents.get(key.id)
        if incident is not None:
            joins.append(incident)
            continue
        window = _enter(state.windows.get(key.id, []), ticket, rule.window)
        if len(window) >= rule.threshold:
            crossings.append(Crossing(key=key, tickets=window))
            state.windows.pop(key.id, None)
        else:
            state.windows[key.id] = window
    return joins, crossings


def _enter(window: list[TicketOpened], ticket: TicketOpened, length: timedelta) -> list[TicketOpened]:
    """The window with this ticket in it: the tickets opened within `length` up to the latest (inclusive at
    both ends), oldest first. Kept sorted, so a ticket costs a bisection: a flood's batch is not quadratic."""
    entered = list(window)
    bisect.insort(entered, ticket, key=_opened_at)
    start = bisect.bisect_left(entered, entered[-1].opened_at - length, key=_opened_at)
    return entered[start:]


def _opened_at(ticket: TicketOpened) -> datetime:
    return ticket.opened_at


def opened(state: HotspotState, crossing: Crossing, incident_id: int) -> None:
    """Remember the incident a crossing opened, so later tickets of its group join it."""
    state.open_incidents[crossing.key.id] = OpenIncident(incident_id=incident_id, key=crossing.key)


def closed(state: HotspotState, incident_id: int) -> None:
    """Forget an incident a supervisor closed: its group counts afresh."""
    state.open_incidents = {k: v for k, v in state.open_incidents.items() if v.incident_id != incident_id}


def prune(state: HotspotState, now: datetime, window: timedelta) -> None:
    """Drop tickets that left every window, and groups left empty (keeps continue-as-new input small)."""
    kept: dict[str, list[TicketOpened]] = {}
    for key, tickets in state.windows.items():
        recent = [t for t in tickets if t.opened_at >= now - window]
        if recent:
            kept[key] = recent
    state.windows = kept


_SEEN_KEPT = 1_000
