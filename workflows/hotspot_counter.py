"""HotspotWorkflow: one long-lived counter per category; opens an incident when a group crosses the threshold.

Fed by signal-with-start (`api.hotspot_signals.HotspotCounter`, several tickets a signal); continues as
new every few hundred tickets carrying only the recent windows, the open incidents and any backlog.
"""

import asyncio
from datetime import timedelta

from temporalio import workflow

from workflows import notifying

with workflow.unsafe.imports_passed_through():
    from activities.incidents import (
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

# Tickets counted by one run before it continues as new (or sooner when the server suggests it).
TICKETS_PER_RUN = 500
# Tickets counted between two workflow tasks. A flood delivers thousands of signals at once: counted in
# one task they kept it past the deadlock detector's 2 s, and the counter failed that task forever.
BATCH = 200
# Since runs hand their backlog on: a run counts up to this many in one workflow task, then continues as
# new. The 1 ms timer between batches of 200 took seconds to fire on a server busy with a flood, and the
# counter fell behind; counting is cheap (sorted windows), and the run carries at most MAX_CARRIED on.
BATCH_CARRYING = TICKETS_PER_RUN
MAX_CARRIED = 2_000
NOTIFY_TEMPLATE = "hotspot_incident"


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
        self._carries = False  # set by the run: whether a full run hands its backlog to the next

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
        batched = workflow.patched("hotspot-batches")
        # A flood never leaves the backlog empty: waiting for it kept one run open until it reached the
        # server's 10,000 signals a run, and every intake after that failed. The backlog travels instead.
        self._carries = workflow.patched("hotspot-carry-pending")
        while True:
            await workflow.wait_condition(lambda: bool(self._pending) or self._time_to_continue())
            if batched:
                await self._count_pending()
            else:  # histories from before batches
                while self._pending:
                    await self._count(self._pending.pop(0))
                    self._counted += 1
            if self._time_to_continue():
                for task in self._notifying:
                    await task
                self._notifying = []
                await workflow.wait_condition(workflow.all_handlers_finished)
                if self._pending and not self._carries:
                    continue
                hotspot_window.prune(self._state, workflow.now(), inp.rule.window)
                workflow.continue_as_new(
                    HotspotInput(
                        category=inp.category, rule=inp.rule, state=self._state, pending=self._pending
                    ),
                    # A counter started on the ticket queue (before counters had their own) moves over.
                    task_queue=hotspot_window.counter_queue(workflow.info().task_queue),
                )

    def _time_to_continue(self) -> bool:
        return self._counted >= TICKETS_PER_RUN or workflow.info().is_continue_as_new_suggested()

    async def _count_pending(self) -> None:
        """Count what has arrived, a batch a workflow task (BATCH; BATCH_CARRYING once runs carry their
        backlog). The tickets of a batch that join an open incident are linked to it in one activity: one a
        ticket, a flood into an open incident fell behind the intake until the run hit the server's limit of
        signals per run, and intake failed. A full run stops counting and hands the rest to the next run:
        no run outlives TICKETS_PER_RUN signals by much."""
        while self._pending and not (self._carries and self._time_to_continue()):
            size = max(BATCH_CARRYING, len(self._pending) - MAX_CARRIED) if self._carries else BATCH
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
            if self._pending:
                await workflow.sleep(timedelta(milliseconds=1), summary="next batch")

    async def _count(self, ticket: TicketOpened) -> None:
        joins, crossings = hotspot_window.observe(self._state, ticket, self._input.rule)
        recount = False
        for incident in joins:
            result = await self._link(incident.incident_id, [ticket.ticket_no])
            if not result.still_open:
                # Closed by a supervisor since: forget it, and count this ticket afresh.
                hotspot_window.closed(self._state, incident.incident_id)
                recount = True
        if recount:
            self._state.seen = [n for n in self._state.seen if n != ticket.ticket_no]
            _, crossings = hotspot_window.observe(self._state, ticket, self._input.rule)
        for crossing in crossings:
            await self._open(crossing)

    async def _open(self, crossing: Crossing) -> None:
        self._state.incidents_opened += 1
        latest = crossing.tickets[-1]
        opened: OpenIncidentResult = await workflow.execute_activity_method(
            IncidentActivities.open_incident,
            OpenIncidentRequest(
                dedupe_key=f"{workflow.info().workflow_id}#{self._state.incidents_opened}",
                category=crossing.key.category,
                product=crossing.key.product,
                order_batch=crossing.key.order_batch,
                team=crossing.team,
                opened_at=workflow.now(),
            ),
            start_to_close_timeout=INCIDENT_TIMEOUT,
            retry_policy=INCIDENT_RETRY,
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
        result: LinkResult = await workflow.execute_activity_method(
            IncidentActivities.link_incident_tickets,
            LinkRequest(incident_id=incident_id, ticket_nos=ticket_nos),
            start_to_close_timeout=INCIDENT_TIMEOUT,
            retry_policy=INCIDENT_RETRY,
        )
        return result

    async def _notify(self, req: NotifyRequest) -> None:
        await notifying.notify(req)
