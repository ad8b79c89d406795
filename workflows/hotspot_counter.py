"""HotspotWorkflow: one long-lived counter per category; opens an incident when a group crosses the threshold.

Fed by signal-with-start (`api.hotspot_signals.HotspotCounter`, several tickets a signal); continues as
new every few hundred tickets carrying only the recent windows, the open incidents and any backlog.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError, FailureError

from workflows import notifying

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel

    from activities.incidents import (
        INCIDENT_LOCAL_RETRY,
        INCIDENT_LOCAL_TIMEOUT,
        INCIDENT_RETRY,
        INCIDENT_TIMEOUT,
        IncidentActivities,
        LinkRequest,
        LinkResult,
        OpenIncidentRequest,
        OpenIncidentResult,
    )
    from domain import hotspot_window
    from domain.hotspot_window import Crossing, HotspotInput, HotspotState, TicketOpened
    from domain.notification import Audience, NotifyRequest

# Tickets counted by one run before it continues as new (or sooner when the server suggests it); counted
# in one workflow task, they stay well inside the deadlock detector's 2 s (sorted windows).
TICKETS_PER_RUN = 500
# A flood never leaves the backlog empty, so a run hands it on; it carries at most this many.
MAX_CARRIED = 2_000
NOTIFY_TEMPLATE = "hotspot_incident"

A = TypeVar("A", bound=BaseModel)
R = TypeVar("R", bound=BaseModel)


@workflow.defn(name=hotspot_window.WORKFLOW_NAME)
class HotspotWorkflow:
    @workflow.init
    def __init__(self, inp: HotspotInput) -> None:
        self._input = inp
        self._state = inp.state.model_copy(deep=True)
        self._pending: list[TicketOpened] = list(inp.pending)
        self._counted = 0
        # Notifications run beside the counting, so a slow mail server never delays the next ticket.
        self._notifying: list[asyncio.Task[None]] = []

    @workflow.signal(name=hotspot_window.SIGNAL_TICKET_OPENED)
    def ticket_opened(self, ticket: TicketOpened) -> None:
        self._pending.append(ticket)

    @workflow.signal(name=hotspot_window.SIGNAL_TICKETS_OPENED)
    def tickets_opened(self, tickets: list[TicketOpened]) -> None:
        self._pending.extend(tickets)

    @workflow.signal(name="incident_closed")
    def incident_closed(self, incident_id: int) -> None:
        hotspot_window.closed(self._state, incident_id)

    @workflow.query(name="state")
    def state(self) -> HotspotState:
        return self._state

    @workflow.run
    async def run(self, inp: HotspotInput) -> None:
        while True:
            await workflow.wait_condition(lambda: bool(self._pending) or self._time_to_continue())
            if self._pending and not self._time_to_continue():
                await self._count_batch()
            if self._time_to_continue():
                for task in self._notifying:
                    await task
                self._notifying = []
                await workflow.wait_condition(workflow.all_handlers_finished)
                hotspot_window.prune(self._state, workflow.now(), inp.rule.window)
                workflow.continue_as_new(
                    HotspotInput(
                        category=inp.category, rule=inp.rule, state=self._state, pending=self._pending
                    )
                )

    def _time_to_continue(self) -> bool:
        return self._counted >= TICKETS_PER_RUN or workflow.info().is_continue_as_new_suggested()

    async def _count_batch(self) -> None:
        """Count a run's worth of what has arrived (and all but MAX_CARRIED of a flood). The tickets that
        join an open incident are linked to it in one activity, so a flood into it keeps pace with intake."""
        size = max(TICKETS_PER_RUN, len(self._pending) - MAX_CARRIED)
        batch, self._pending = self._pending[:size], self._pending[size:]
        joined: dict[int, list[TicketOpened]] = {}
        for ticket in batch:
            joins, crossings = hotspot_window.observe(self._state, ticket, self._input.rule)
            for incident in joins:
                joined.setdefault(incident.incident_id, []).append(ticket)
            for crossing in crossings:
                await self._open(crossing)
            self._counted += 1
        recount: list[TicketOpened] = []
        for incident_id, tickets in joined.items():
            result = await self._link(incident_id, [t.ticket_no for t in tickets])
            if not result.still_open:
                # Closed by a supervisor since: forget it, and count its tickets afresh.
                hotspot_window.closed(self._state, incident_id)
                recount.extend(tickets)
        for ticket in sorted(recount, key=batch.index):
            self._state.seen = [n for n in self._state.seen if n != ticket.ticket_no]
            _, crossings = hotspot_window.observe(self._state, ticket, self._input.rule)
            for crossing in crossings:
                await self._open(crossing)

    async def _open(self, crossing: Crossing) -> None:
        self._state.incidents_opened += 1
        latest = crossing.tickets[-1]
        opened: OpenIncidentResult = await self._write(
            IncidentActivities.open_incident,
            OpenIncidentRequest(
                dedupe_key=f"{workflow.info().workflow_id}#{self._state.incidents_opened}",
                category=crossing.key.category,
                product=crossing.key.product,
                order_batch=crossing.key.order_batch,
                team=crossing.team,
                opened_at=workflow.now(),
            ),
        )
        hotspot_window.opened(self._state, crossing, opened.incident_id)
        await self._link(opened.incident_id, [t.ticket_no for t in crossing.tickets])
        facts = {
            "incident": str(opened.incident_id),
            "category": crossing.key.category.value,
            "tickets": str(len(crossing.tickets)),
            "window": str(self._input.rule.window),
        }
        if crossing.key.product:
            facts["product"] = crossing.key.product
        if crossing.key.order_batch:
            facts["order_batch"] = crossing.key.order_batch
        base = f"incident-{opened.incident_id}"
        requests = [
            NotifyRequest(
                key=f"{base}:member:{m}",
                ticket_no=latest.ticket_no,
                audience=Audience.MEMBER,
                member_id=m,
                template=NOTIFY_TEMPLATE,
                facts=facts,
            )
            for m in opened.team_members
        ]
        if crossing.team:
            requests.append(
                NotifyRequest(
                    key=f"{base}:team_supervisor",
                    ticket_no=latest.ticket_no,
                    audience=Audience.TEAM_SUPERVISOR,
                    team=crossing.team,
                    template=NOTIFY_TEMPLATE,
                    facts=facts,
                    urgent=True,
                )
            )
        self._notifying.extend(asyncio.create_task(self._notify(r)) for r in requests)

    async def _link(self, incident_id: int, ticket_nos: list[str]) -> LinkResult:
        result: LinkResult = await self._write(
            IncidentActivities.link_incident_tickets,
            LinkRequest(incident_id=incident_id, ticket_nos=ticket_nos),
        )
        return result

    async def _write(self, activity: Callable[[Any, A], Awaitable[R]], arg: A) -> R:
        """One idempotent Postgres write: a local activity bounded to seconds, then the retried activity
        if Postgres is slow or away (as a ticket's writes, `workflows/ticket.py`)."""
        try:
            return await workflow.execute_local_activity_method(
                activity,
                arg,
                start_to_close_timeout=INCIDENT_LOCAL_TIMEOUT,
                retry_policy=INCIDENT_LOCAL_RETRY,
            )
        except FailureError as e:
            cause = e.cause if isinstance(e, ActivityError) else e
            if isinstance(e, CancelledError) or (isinstance(cause, ApplicationError) and cause.non_retryable):
                raise
        return await workflow.execute_activity_method(
            activity, arg, start_to_close_timeout=INCIDENT_TIMEOUT, retry_policy=INCIDENT_RETRY
        )

    async def _notify(self, req: NotifyRequest) -> None:
        await notifying.notify(req)
