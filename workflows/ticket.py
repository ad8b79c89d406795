"""The ticket workflow: one customer-service ticket from intake to archive, as the seeds' process runs it."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RawValue, SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError, FailureError
from temporalio.workflow import ParentClosePolicy

from workflows import notifying

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, ValidationError

    from activities.ticket_writes import (
        DB_RETRY,
        DB_TIMEOUT,
        LOCAL_RETRY,
        LOCAL_TIMEOUT,
        ArchiveRequest,
        AssignRequest,
        ReleaseRequest,
        StepWrite,
        TicketActivities,
    )
    from domain import sla
    from domain.access import refusal, scope_of
    from domain.actions import (
        Acknowledge,
        Action,
        CallOutcome,
        CompensationDecision,
        CustomerMessage,
        Escalate,
        Extend,
        FeedbackAnswer,
        ProgressNote,
        Reassign,
        Resolve,
        Resort,
        Resume,
        ReviewDecision,
        WaitForCustomer,
    )
    from domain.attachments import AttachmentAdded
    from domain.calendar import working_time_between
    from domain.collaboration import (
        COLLABORATION_WORKFLOW,
        AskCollaboration,
        CollaborationInput,
        CollaborationStatus,
        CollaborationView,
        request_id,
    )
    from domain.compensation import Compensation, CompensationState, CompensationStatus
    from domain.enums import Priority, Status
    from domain.notification import Audience, HeldNotice, NotifyRequest
    from domain.root_cause import disputed, missing_cause, stamped
    from domain.routing import Route, route, supervisor_alerts
    from domain.sla import Clock, ClockRun, Firing, Outcome
    from domain.state import TicketRun, TicketState
    from domain.ticket import WORKFLOW_NAME, TicketEvent, TicketView
    from infra import search_attributes as sa

# When no clock runs the loop still waits with a timeout, so the command shape never changes.
IDLE = timedelta(days=365)
WORKING = (Status.IN_PROGRESS, Status.WAITING_CUSTOMER)
OPEN = (Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.WAITING_CUSTOMER)


M = TypeVar("M", bound=BaseModel)
A = TypeVar("A", bound=BaseModel)
R = TypeVar("R", bound=BaseModel)


def _first_error(e: Exception) -> str:
    """The first validation problem, naming its field (`score: Input should be less than or equal to 5`)."""
    cause: BaseException | None = e
    while cause is not None and not isinstance(cause, ValidationError):
        cause = cause.__cause__ or cause.__context__
    if isinstance(cause, ValidationError) and cause.errors():
        first = cause.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc']) or 'payload'}: {first['msg']}"
    return f"undecodable payload: {e}"[:300]


def _offer_facts(offer: Compensation) -> dict[str, str]:
    return {
        "type": offer.type.value,
        "amount": str(offer.amount),
        "currency": offer.currency,
        "reason": offer.reason,
    }


def _refuse(reason: str | None) -> None:
    if reason is not None:
        raise ApplicationError(reason, type="InvalidTransition")


@workflow.defn(name=WORKFLOW_NAME)
class TicketWorkflow:
    @workflow.init
    def __init__(self, input: TicketRun) -> None:
        self._input = input.model_copy(update={"carried": None})
        self._policy = input.policy
        self._lock = asyncio.Lock()
        self._woken = False
        # Business calendars, reminders, quiet hours; a policy without calendars counts wall-clock time.
        self._calendars = input.policy.uses_calendars()
        self._staged: list[TicketEvent] = []
        self._notices: list[NotifyRequest] = []  # staged with the events, tried once after them
        self._upserted: dict[str, object] = {}
        self._wake_at: datetime | None = None
        if input.carried is not None:
            self._s: TicketState = input.carried
            return
        r = route(input.policy, input.kind, input.category, input.priority, input.customer.tier)
        if input.needs_triage:  # sorted unsure: the default team sorts it by hand (seeds 000, 003)
            r = Route(team=input.policy.routing.default_team)
        view = TicketView(
            ticket_no=input.ticket_no,
            status=Status.NEW,
            priority=input.priority,
            kind=input.kind,
            category=input.category,
            channel=input.channel,
            customer=input.customer,
            team=r.team,
            collaborators=r.collaborators,
            opened_at=input.opened_at,
            repeat_count=input.repeat_count,
            follow_up_of=input.follow_up_of,
            needs_triage=input.needs_triage,
        )
        self._s = TicketState(view=view)
        # The first-response and resolution clocks run from intake, whoever holds the ticket.
        self._start(Clock.RESPONSE, input.opened_at)
        self._start(Clock.RESOLVE, input.opened_at)

    # ---- the process -------------------------------------------------------------------------------

    @workflow.run
    async def run(self, input: TicketRun) -> TicketView:
        if input.carried is None:
            async with self._step():
                await self._intake()
        while not self._closed():
            if workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(workflow.all_handlers_finished)
                if not self._closed():
                    workflow.continue_as_new(self._input.model_copy(update={"carried": self._s}))
            self._wake_at, summary = self._next_wake()
            wait = (self._wake_at - workflow.now()) if self._wake_at else IDLE
            if wait > timedelta(0):
                self._woken = False
                try:
                    await workflow.wait_condition(lambda: self._woken, timeout=wait, timeout_summary=summary)
                except TimeoutError:
                    pass
            async with self._step():
                await self._fire_due()
        while self._s.held:  # a closed ticket still delivers what quiet hours held, when they end
            if self._s.held[0].at > workflow.now():
                await workflow.sleep(self._s.held[0].at - workflow.now(), summary="held notification")
            async with self._step():
                await self._deliver_held()
        await self._archive()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._view()

    async def _intake(self) -> None:
        v = self._s.view
        seq = await self._event(
            "opened", None, priority=v.priority.value, team=v.team, collaborators=v.collaborators
        )
        reasons = supervisor_alerts(self._policy, v.priority, v.kind, v.repeat_count, v.needs_triage)
        if reasons:
            # Seeds 000, 004, 003: urgent tickets, complaints and repeat contacts: the supervisor at once.
            template = "urgent_intake" if v.priority is Priority.URGENT else f"{reasons[0]}_intake"
            await self._notify(
                seq,
                Audience.TEAM_SUPERVISOR,
                template,
                urgent=v.priority is Priority.URGENT,
                reasons=", ".join(reasons),
                repeat_count=str(v.repeat_count),
            )
        # Seed 001: 受理后告知客户工单编号和预计处理时间.
        await self._notify(
            seq,
            Audience.CUSTOMER,
            "received",
            response_due=self._s.clocks[Clock.RESPONSE].due.isoformat(),
            resolve_due=self._s.clocks[Clock.RESOLVE].due.isoformat(),
            tz=self._customer_zone(),
        )
        await self._assign()
        c = self._policy.collaboration
        if c.ask_at_intake:
            # Seeds 002, 004: routing's collaborating teams are asked at once, each a request of its own.
            for team in list(v.collaborators):
                await self._ask(team, c.intake_question, "routing", [])

    async def _fire_due(self) -> None:
        """React to every clock whose reminder or deadline has come, earliest first."""
        await self._deliver_held()
        for _ in range(100):  # each firing moves its clock forward or stops it; the bound is a backstop
            nxt = self._next_firing()
            if nxt is None or nxt[0] > workflow.now() or self._s.view.status is Status.CLOSED:
                return
            _, clock, firing = nxt
            run = self._s.clocks[clock]
            if firing is Firing.WARN:
                fraction = sla.mark_warned(run, self._policy.targets.warn_at)
                await self._remind(clock, run, fraction)
            else:
                del self._s.clocks[clock]
                await self._deadline(clock, run)

    async def _remind(self, clock: Clock, run: ClockRun, fraction: float) -> None:
        """Seed 000 预警: the assignee (else the supervisor) hears at each warn_at fraction of a target."""
        v = self._s.view
        extra: dict[str, Any] = {"at": f"{fraction:.0%}"} if self._calendars else {}
        seq = await self._event("warned", None, target=clock.value, due=run.due.isoformat(), **extra)
        due = run.due.isoformat()
        if v.assignee:
            await self._notify(
                seq, Audience.MEMBER, "warning", member=v.assignee, target=clock.value, due=due, **extra
            )
        else:
            await self._notify(seq, Audience.TEAM_SUPERVISOR, "warning", target=clock.value, due=due, **extra)

    async def _deadline(self, clock: Clock, run: ClockRun) -> None:
        s, v, now = self._s, self._s.view, workflow.now()
        if clock is Clock.ASSIGN:
            await self._assign()
        elif clock is Clock.ACK:
            # Seed 001: not acknowledged within 1 h → supervisor told, ticket re-offered to the next member.
            s.outcomes.append(Outcome(clock=clock, due=run.due, at=now, met=False))
            late = v.assignee
            if late:
                s.excluded.append(late)
            await self._release()
            v.assignee = None
            seq = await self._event("ack_overdue", None, member=late, due=run.due.isoformat())
            await self._notify(seq, Audience.TEAM_SUPERVISOR, "ack_overdue", member_late=late or "")
            await self._assign()
        elif clock in sla.ESCALATING:
            s.outcomes.append(Outcome(clock=clock, due=run.due, at=now, met=False))
            v.sla_breached = True
            if clock is Clock.UPDATE:
                self._start(Clock.UPDATE, now)  # the next update is still owed
            await self._event("breached", None, target=clock.value, due=run.due.isoformat())
            if Clock.ESCALATION not in s.clocks and v.escalation_level < sla.top_level(self._policy):
                await self._escalate(f"{clock.value} deadline {run.due.isoformat()} missed", None, run.due)
        elif clock is Clock.ESCALATION:
            if v.escalation_level < sla.top_level(self._policy):
                await self._escalate("still unresolved", None, run.due)
        elif clock is Clock.FEEDBACK:
            if s.feedback_attempts < self._policy.feedback.attempts:
                await self._second_attempt()
            else:
                await self._close("no_response")
        elif clock is Clock.APPROVAL:
            # An approval left waiting goes one level up: the department head hears of it.
            seq = await self._event("approval_overdue", None, due=run.due.isoformat())
            await self._notify(seq, Audience.DEPARTMENT_HEAD, "compensation_approval_overdue", urgent=True)
        elif clock is Clock.CALL:
            s.outcomes.append(Outcome(clock=Clock.CALLBACK, due=run.due, at=now, met=False))
            seq = await self._event("call_overdue", None, due=run.due.isoformat())
            await self._notify(seq, Audience.TEAM_SUPERVISOR, "call_overdue", member_late=v.assignee or "")

    async def _escalate(self, reason: str, actor: str | None, due: datetime) -> None:
        """One rung up the ladder (supervisor → head → director); the next rung `interval` after this one's
        due time, so the ladder keeps its schedule however late a timer is delivered."""
        s, v = self._s, self._s.view
        v.escalation_level += 1
        s.clocks.pop(Clock.ESCALATION, None)
        if v.escalation_level < sla.top_level(self._policy):
            self._start(Clock.ESCALATION, due)
        seq = await self._event(
            "escalated", actor, level=v.escalation_level, due=due.isoformat(), reason=reason
        )
        audience = sla.ladder_audience(self._policy, v.escalation_level)
        await self._notify(
            seq, audience, "escalated", urgent=True, level=str(v.escalation_level), reason=reason
        )

    async def _assign(self, member_id: str | None = None, team: str | None = None, reason: str = "") -> None:
        """Give the ticket to the least-loaded free member of its team, or queue it and retry later."""
        s, v = self._s, self._s.view
        team = team or v.team or self._policy.routing.default_team
        s.round += 1
        result = await self._write(
            TicketActivities.assign,
            AssignRequest(
                ticket_no=v.ticket_no,
                round=s.round,
                team=team,
                exclude=list(s.excluded),
                member_id=member_id,
                priority=v.priority,
                opened_at=v.opened_at,
            ),
        )
        v.team = team
        if result.member_id is None:
            v.assignee = None
            v.status = Status.NEW
            # Everyone left was passed over: the next round may offer it to them again.
            s.excluded = []
            self._start(Clock.ASSIGN, workflow.now())
            s.clocks.pop(Clock.ACK, None)
            seq = await self._event(
                "queued", None, team=team, retry_in=str(self._policy.assignment.retry_every)
            )
            if not s.queue_notified:
                s.queue_notified = True
                await self._notify(seq, Audience.TEAM_SUPERVISOR, "unassigned")
            return
        await self._release()
        s.current_round = s.round
        s.queue_notified = False
        s.clocks.pop(Clock.ASSIGN, None)
        v.assignee = result.member_id
        v.status = Status.ASSIGNED
        self._start(Clock.ACK, workflow.now())
        seq = await self._event("assigned", None, member=v.assignee, team=team, round=s.round, reason=reason)
        await self._notify(
            seq,
            Audience.MEMBER,
            "assigned",
            member=v.assignee,
            ack_within=str(self._policy.targets.acknowledge),
        )

    async def _release(self) -> None:
        if self._s.current_round is None:
            return
        await self._write(
            TicketActivities.release,
            ReleaseRequest(ticket_no=self._s.view.ticket_no, round=self._s.current_round),
        )
        self._s.current_round = None

    def _respond(self) -> None:
        """The first progress note or the resolution is the first response."""
        s, now = self._s, workflow.now()
        if s.view.first_response_at is None:
            s.view.first_response_at = now
            run = s.clocks.pop(Clock.RESPONSE, None)
            if run is not None:
                s.outcomes.append(Outcome(clock=Clock.RESPONSE, due=run.due, at=now, met=now <= run.due))

    async def _callback(self, now: datetime) -> None:
        """Seeds 001, 004: the customer is asked whether it is solved and how satisfied (1–5)."""
        s, v = self._s, self._s.view
        fb = self._policy.feedback
        s.callback_due = now + fb.callback_within
        s.callback_round += 1
        s.feedback_attempts = 1
        v.feedback_requests += 1
        v.status = Status.AWAITING_FEEDBACK
        self._start(Clock.FEEDBACK, now)
        seq = await self._event("callback", None, callback_due=s.callback_due.isoformat())
        # Seeds 001, 003, 004: the customer hears what was done and why, and is asked how it went.
        key = await self._notify(seq, Audience.CUSTOMER, "callback", more=self._feedback_facts(now))
        calls = await self._flush()  # the callback is met when the customer has been told, not when staged
        if key in calls:
            # No message reaches them: the holder calls, by the same deadline; met when the call is on record.
            self._start(Clock.CALL, now)
            await self._event("call_task", None, due=s.clocks[Clock.CALL].due.isoformat(), attempt=1)
            return
        done = workflow.now()
        s.outcomes.append(
            Outcome(clock=Clock.CALLBACK, due=s.callback_due, at=done, met=done <= s.callback_due)
        )

    def _feedback_facts(self, now: datetime) -> dict[str, str]:
        """What a request for the customer's feedback says: the solution, its cause, the link's round."""
        v, fb = self._s.view, self._policy.feedback
        cause = v.root_cause
        offer = v.compensation.offer if v.compensation else None
        given = f"({offer.type.value} {offer.amount} {offer.currency}: {offer.reason})" if offer else ""
        return {
            "solution": (v.solution or "") + given,
            "cause": f"{cause.what}: {cause.why}" if cause else "",
            "link_expires_at": (now + fb.link_valid_for).isoformat(),
            "round": str(self._s.callback_round),
            "feedback_due": self._s.clocks[Clock.FEEDBACK].due.isoformat(),
            "call_by": (now + fb.callback_within).isoformat(),
            "tz": self._customer_zone(),
        }

    async def _second_attempt(self) -> None:
        """Seed 001 (避免未确认满意度即归档): no answer, so the customer is asked once more, by a call."""
        s, now = self._s, workflow.now()
        s.feedback_attempts += 1
        s.view.feedback_requests += 1
        self._start(Clock.FEEDBACK, now, self._policy.feedback.second_attempt_within)
        self._start(Clock.CALL, now)
        seq = await self._event("second_attempt", None, feedback_due=s.clocks[Clock.FEEDBACK].due.isoformat())
        await self._notify(
            seq, Audience.CUSTOMER, "callback", call="1", attempt="2", more=self._feedback_facts(now)
        )

    def _customer_zone(self) -> str:
        """The zone customers read times in: the resolution clock calendar's, else the report's."""
        run = self._s.clocks.get(Clock.RESOLVE) or self._s.held_resolve
        if self._calendars and run is not None:
            return self._policy.calendar(run.calendar).timezone
        return self._policy.report.timezone

    async def _close(self, reason: str) -> None:
        s, v = self._s, self._s.view
        s.clocks.clear()
        v.status = Status.CLOSED
        v.closed_at = workflow.now()
        v.close_reason = reason
        seq = await self._event("closed", None, reason=reason)
        await self._notify(seq, Audience.CUSTOMER, "closed", reason=reason)

    async def _archive(self) -> None:
        """Closing archives the full record once and gives the member back their capacity."""
        if not self._s.archived:
            # The closing step's events and the release travel with the archive, one transaction; its
            # notices (the customer's closure notice) are tried once right after it.
            request = ArchiveRequest(
                view=self._view(),
                outcomes=self._s.outcomes,
                events=self._staged,
                release_round=self._s.current_round,
                notices=self._notices,
            )
            notices, self._notices = self._notices, []
            self._staged, self._s.current_round = [], None
            archived = await self._write(TicketActivities.archive, request)
            self._s.archived = True
            for req in notices:
                if req.key in archived.retry:
                    await notifying.notify(req)
        await self._release()

    # ---- state plumbing ------------------------------------------------------------------------

    def _start(self, clock: Clock, at: datetime, target: timedelta | None = None) -> None:
        v = self._s.view
        amount = sla.target(self._policy, clock, v.priority) if target is None else target
        if not self._calendars:
            self._s.clocks[clock] = sla.start(at, amount)
            return
        name = sla.calendar_name(self._policy, clock, v.priority, v.customer.tier)
        self._s.clocks[clock] = sla.start(at, amount, self._policy.calendar(name), name)

    def _next_firing(self) -> tuple[datetime, Clock, Firing] | None:
        return sla.next_firing(self._s.clocks, self._policy.targets.warn_at, self._policy.calendars)

    def _next_wake(self) -> tuple[datetime | None, str]:
        """When the run loop must next wake (None: no clock runs, nothing is held), and why."""
        nxt = self._next_firing()
        at, why = (nxt[0], f"{nxt[1].value} {nxt[2].value}") if nxt else (None, "idle")
        if self._s.held and (at is None or self._s.held[0].at < at):
            at, why = self._s.held[0].at, "held notification"
        return at, why

    def _wake_if_needed(self) -> None:
        """Wake the run loop when its timer no longer fits: the next wake-up moved, the ticket closed, or the
        history has grown enough to continue as new."""
        if (
            self._s.view.status is Status.CLOSED
            or self._next_wake()[0] != self._wake_at
            or workflow.info().is_continue_as_new_suggested()
        ):
            self._woken = True

    def _closed(self) -> bool:
        return self._s.view.status is Status.CLOSED

    def _view(self) -> TicketView:
        s = self._s
        calendars = sla.deadline_calendars(s.clocks, s.held_resolve) if self._calendars else {}
        return s.view.model_copy(
            update={
                "deadlines": sla.deadlines(s.clocks, s.held_resolve, s.callback_due),
                "calendars": calendars,
            },
            deep=True,
        )

    def _search_attributes(self) -> list[SearchAttributeUpdate[Any]]:
        v = self._s.view
        due = sla.nearest(r.due for r in self._s.clocks.values())
        return [
            sa.STATUS.value_set(v.status.value),
            sa.PRIORITY.value_set(v.priority.value),
            sa.CATEGORY.value_set(v.category.value),
            sa.KIND.value_set(v.kind.value),
            sa.CHANNEL.value_set(v.channel.value),
            sa.TEAM.value_set(v.team) if v.team else sa.TEAM.value_unset(),
            sa.ASSIGNEE.value_set(v.assignee) if v.assignee else sa.ASSIGNEE.value_unset(),
            sa.ESCALATION_LEVEL.value_set(v.escalation_level),
            sa.SLA_BREACHED.value_set(v.sla_breached),
            sa.DUE_AT.value_set(due) if due else sa.DUE_AT.value_unset(),
        ]

    def _upsert_search_attributes(self) -> None:
        """Only what changed: each upsert is a history event and a visibility write on the server."""
        updates = self._search_attributes()
        values = {u.key.name: u.value for u in updates}
        updates = [u for u in updates if self._upserted.get(u.key.name) != u.value]
        self._upserted = values
        if updates:
            workflow.upsert_search_attributes(updates)

    @asynccontextmanager
    async def _step(self) -> AsyncIterator[None]:
        """One step of the process (intake, an update, a signal, the clocks firing): handlers take turns,
        and what the step did is written and published as it ends."""
        async with self._lock:
            try:
                yield
            finally:
                if self._archive_writes_staged():
                    self._publish()
                else:
                    await self._flush()

    def _archive_writes_staged(self) -> bool:
        """A step that closed the ticket leaves its events to the archive, which is next."""
        s = self._s
        return s.view.status is Status.CLOSED and not s.archived

    async def _event(self, type_: str, actor: str | None, **data: Any) -> int:
        """Every state change: the next sequence number, and the event staged for the step's one write."""
        v = self._s.view
        v.event_seq += 1
        # The deadlines alone: the whole view's deep copy, once an event, was worker CPU for nothing.
        v.deadlines = sla.deadlines(self._s.clocks, self._s.held_resolve, self._s.callback_due)
        event = TicketEvent(seq=v.event_seq, at=workflow.now(), type=type_, actor=actor, data=data)
        self._staged.append(event)
        return v.event_seq

    async def _flush(self) -> set[str]:
        """Write the staged events and the state they leave, try the staged notices once, and publish; the
        keys of the notices that became call tasks (no message reaches the customer)."""
        if not self._staged and not self._notices:
            return set()
        events, self._staged = self._staged, []
        notices, self._notices = self._notices, []
        self._publish()
        step = StepWrite(events=events, view=self._view(), notices=notices)
        written = await self._write(TicketActivities.record_step_and_try_notices, step)
        calls = set(written.calls)
        for req in notices:
            if req.key in written.retry:
                # Best effort, as ever: an undeliverable message never stops the ticket.
                result = await notifying.notify(req)
                if result is not None and result.call_task:
                    calls.add(req.key)
        return calls

    def _publish(self) -> None:
        """The search attributes that changed, and the run loop woken if its timer no longer fits."""
        self._upsert_search_attributes()
        self._wake_if_needed()

    async def _write(self, activity: Callable[[Any, A], Awaitable[R]], arg: A) -> R:
        """One of the ticket's Postgres writes: a local activity, bounded to seconds, then the retried
        activity if Postgres is slow or away, so a workflow task is never held for long."""
        try:
            return await workflow.execute_local_activity_method(
                activity, arg, start_to_close_timeout=LOCAL_TIMEOUT, retry_policy=LOCAL_RETRY
            )
        except FailureError as e:
            cause = e.cause if isinstance(e, ActivityError) else e
            if isinstance(e, CancelledError) or (isinstance(cause, ApplicationError) and cause.non_retryable):
                raise
        return await workflow.execute_activity_method(
            activity, arg, start_to_close_timeout=DB_TIMEOUT, retry_policy=DB_RETRY
        )

    async def _notify(
        self,
        seq: int,
        audience: Audience,
        template: str,
        member: str | None = None,
        urgent: bool = False,
        more: dict[str, str] | None = None,
        **facts: str,
    ) -> str:
        """Stage a message after the step's events (or hold it for quiet hours); its key."""
        v = self._s.view
        key = f"{v.ticket_no}:{seq}:{audience.value}" + (f":{member}" if member else "")
        req = NotifyRequest(
            key=key,
            ticket_no=v.ticket_no,
            audience=audience,
            member_id=member,
            team=v.team,
            template=template,
            facts={"priority": v.priority.value, **(more or {}), **facts},
            urgent=urgent,
        )
        release = (
            sla.held_until(self._policy, audience, v.priority, workflow.now()) if self._calendars else None
        )
        if release is not None:
            # Quiet hours: held by the run loop's durable timer, delivered at the recipient's next span.
            self._s.held.append(HeldNotice(at=release, request=req))
            self._s.held.sort(key=lambda h: h.at)
            await self._event(
                "notification_held",
                None,
                audience=audience.value,
                template=template,
                until=release.isoformat(),
            )
            return key
        await self._send(req)
        return key

    async def _deliver_held(self) -> None:
        """Send the held notifications whose recipients' quiet hours are over."""
        while self._s.held and self._s.held[0].at <= workflow.now():
            await self._send(self._s.held.pop(0).request)

    async def _send(self, req: NotifyRequest) -> None:
        self._notices.append(req)  # tried once with the step's events, after them

    # ---- checks shared by validators and handlers ----------------------------------------------------

    def _admit(self, a: M, check: Callable[[M], str | None]) -> None:
        """An update's gate, the same in its validator and its handler: the caller the API authenticated
        may touch this ticket as it stands now (else Forbidden), and the ticket's state allows the action."""
        if isinstance(a, Action) and a.caller is not None:
            reason = refusal(a.caller, scope_of(self._s.view))
            if reason is not None:
                raise ApplicationError(reason, type="Forbidden")
        _refuse(check(a))

    @asynccontextmanager
    async def _acting(self, a: M, check: Callable[[M], str | None]) -> AsyncIterator[None]:
        """An update's step: admitted again under the step's lock, since another may have run meanwhile."""
        async with self._step():
            self._admit(a, check)
            yield

    def _can_acknowledge(self, a: Acknowledge) -> str | None:
        v = self._s.view
        if v.status is not Status.ASSIGNED:
            return f"ticket is {v.status.value}; only an assigned ticket can be acknowledged"
        if a.by != v.assignee:
            return f"only the assignee {v.assignee} can acknowledge this ticket"
        return None

    def _can_progress(self, _: ProgressNote) -> str | None:
        v = self._s.view
        if v.status not in WORKING:
            return (
                f"ticket is {v.status.value}; progress is noted while in progress or waiting for the customer"
            )
        return None

    def _can_extend(self, e: Extend) -> str | None:
        v = self._s.view
        if v.status not in (Status.ASSIGNED, Status.IN_PROGRESS):
            return f"ticket is {v.status.value}; only a ticket being worked on can be extended"
        run = self._s.clocks.get(Clock.RESOLVE)
        return sla.extension_refusal(
            run.due if run else self._missed_resolve_due(),
            workflow.now(),
            e.new_due,
            self._policy.targets.extension_limit,
        )

    def _missed_resolve_due(self) -> datetime | None:
        """A breached resolution deadline stops its clock but stays on record: refusals name it."""
        missed = [o.due for o in self._s.outcomes if o.clock is Clock.RESOLVE and not o.met]
        return missed[-1] if missed else None

    def _can_wait(self, _: WaitForCustomer) -> str | None:
        v = self._s.view
        if v.status is not Status.IN_PROGRESS:
            return f"ticket is {v.status.value}; only a ticket in progress can wait for the customer"
        return None

    def _can_resume(self, _: Resume) -> str | None:
        v = self._s.view
        if v.status is not Status.WAITING_CUSTOMER:
            return f"ticket is {v.status.value}, not waiting for the customer"
        return None

    def _can_resolve(self, r: Resolve) -> str | None:
        v = self._s.view
        if v.status is Status.ASSIGNED:
            return "the assignee must acknowledge the ticket before resolving it"
        if v.status is not Status.IN_PROGRESS:
            return f"ticket is {v.status.value}; only a ticket in progress can be resolved"
        return missing_cause(self._policy, v.kind, r.root_cause)

    def _can_review(self, d: ReviewDecision) -> str | None:
        v = self._s.view
        if v.status is not Status.IN_REVIEW:
            return f"ticket is {v.status.value}; there is no solution awaiting review"
        if self._awaiting_approval():
            return "its compensation awaits approval first"
        if not d.approve and not d.comment:
            return "sending a solution back needs a comment"
        return None

    def _awaiting_approval(self) -> bool:
        c = self._s.view.compensation
        return c is not None and c.status is CompensationStatus.PENDING_APPROVAL

    def _can_decide_compensation(self, d: CompensationDecision) -> str | None:
        if self._s.view.status is not Status.IN_REVIEW or not self._awaiting_approval():
            return "there is no compensation awaiting approval"
        if not d.approve and not d.comment:
            return "refusing a compensation needs the reason"
        return None

    def _can_reassign(self, r: Reassign) -> str | None:
        v = self._s.view
        if v.status not in OPEN:
            return f"ticket is {v.status.value}; it can no longer be reassigned"
        if r.to_member is None and r.to_team is None:
            return "name a member (to_member) or a team (to_team)"
        if r.to_member is not None and r.to_member == v.assignee:
            return f"{r.to_member} already holds this ticket"
        return None

    def _can_resort(self, r: Resort) -> str | None:
        v = self._s.view
        if v.status not in OPEN:
            return f"ticket is {v.status.value}; only an open ticket can be re-sorted"
        after = (r.category or v.category, r.kind or v.kind, r.priority or v.priority)
        if after == (v.category, v.kind, v.priority) and not v.needs_triage:
            return "the ticket already has this category, kind and priority"
        return None

    def _can_escalate(self, _: Escalate) -> str | None:
        v = self._s.view
        if v.status in (Status.CLOSED, Status.AWAITING_FEEDBACK):
            return f"ticket is {v.status.value}; there is nothing to escalate"
        if v.escalation_level >= sla.top_level(self._policy):
            return f"ticket is already at the top escalation level {v.escalation_level}"
        return None

    def _can_feedback(self, f: FeedbackAnswer) -> str | None:
        v = self._s.view
        if v.status is not Status.AWAITING_FEEDBACK:
            return f"ticket is {v.status.value}; it is not awaiting the customer's feedback"
        if f.round is not None and f.round != self._s.callback_round:
            return "this link answers an earlier request; the customer has been sent a newer one"
        return None

    # ---- updates -----------------------------------------------------------------------------------

    @workflow.update
    async def acknowledge(self, a: Acknowledge) -> TicketView:
        async with self._acting(a, self._can_acknowledge):
            s, v, now = self._s, self._s.view, workflow.now()
            run = s.clocks.pop(Clock.ACK, None)
            if run is not None:
                s.outcomes.append(Outcome(clock=Clock.ACK, due=run.due, at=now, met=now <= run.due))
            v.acknowledged_at = v.acknowledged_at or now
            v.status = Status.IN_PROGRESS
            s.excluded = []
            await self._event("acknowledged", a.by)
            return self._view()

    @acknowledge.validator
    def _validate_acknowledge(self, a: Acknowledge) -> None:
        self._admit(a, self._can_acknowledge)

    async def _progress(self, p: ProgressNote) -> None:
        s, v, now = self._s, self._s.view, workflow.now()
        self._respond()
        owed = s.clocks.pop(Clock.UPDATE, None)
        if owed is not None:
            # An update that was owed is met or late; without it the report's update SLA reads only misses.
            s.outcomes.append(Outcome(clock=Clock.UPDATE, due=owed.due, at=now, met=now <= owed.due))
        if v.status is Status.IN_PROGRESS:
            self._start(Clock.UPDATE, workflow.now())
        files = {"attachment_ids": list(p.attachment_ids)} if p.attachment_ids else {}
        scripted = {"script": p.script} if p.script else {}  # the timeline keeps which script, if any
        seq = await self._event(
            "progress", p.by, note=p.note, customer_visible=p.customer_visible, **files, **scripted
        )
        if p.customer_visible:
            await self._notify(seq, Audience.CUSTOMER, "progress", note=p.note)

    @workflow.update
    async def progress(self, p: ProgressNote) -> TicketView:
        async with self._acting(p, self._can_progress):
            await self._progress(p)
            return self._view()

    @progress.validator
    def _validate_progress(self, p: ProgressNote) -> None:
        self._admit(p, self._can_progress)

    @workflow.update
    async def extend(self, e: Extend) -> TicketView:
        async with self._acting(e, self._can_extend):
            run = self._s.clocks[Clock.RESOLVE]
            self._s.clocks[Clock.RESOLVE] = ClockRun(start=run.start, due=e.new_due, calendar=run.calendar)
            seq = await self._event(
                "extended", e.by, old_due=run.due.isoformat(), new_due=e.new_due.isoformat(), reason=e.reason
            )
            await self._notify(
                seq,
                Audience.CUSTOMER,
                "extended",
                new_due=e.new_due.isoformat(),
                reason=e.reason,
                tz=self._customer_zone(),
            )
            return self._view()

    @extend.validator
    def _validate_extend(self, e: Extend) -> None:
        self._admit(e, self._can_extend)

    @workflow.update
    async def wait_for_customer(self, w: WaitForCustomer) -> TicketView:
        async with self._acting(w, self._can_wait):
            s = self._s
            s.view.status = Status.WAITING_CUSTOMER
            s.paused_at = workflow.now()
            s.held_resolve = s.clocks.pop(Clock.RESOLVE, None)
            s.clocks.pop(Clock.UPDATE, None)
            seq = await self._event("waiting_customer", w.by, reason=w.reason)
            await self._notify(seq, Audience.CUSTOMER, "waiting", reason=w.reason)
            return self._view()

    @wait_for_customer.validator
    def _validate_wait_for_customer(self, w: WaitForCustomer) -> None:
        self._admit(w, self._can_wait)

    async def _resume(self, by: str | None) -> None:
        s, now = self._s, workflow.now()
        paused = now - (s.paused_at or now)
        extra: dict[str, int] = {}
        if s.held_resolve is not None and self._calendars:
            # The pause is subtracted in working time: the clock keeps what it had spent and had left.
            cal = self._policy.calendar(s.held_resolve.calendar)
            since = s.paused_at or now
            s.clocks[Clock.RESOLVE] = sla.resumed(s.held_resolve, since, now, cal)
            extra["paused_working_seconds"] = int(working_time_between(cal, since, now).total_seconds())
        elif s.held_resolve is not None:
            s.clocks[Clock.RESOLVE] = sla.shift(s.held_resolve, paused)
        s.held_resolve = None
        s.paused_at = None
        s.view.status = Status.IN_PROGRESS
        if s.view.first_response_at is not None:
            self._start(Clock.UPDATE, now)
        await self._event("resumed", by, paused_seconds=int(paused.total_seconds()), **extra)

    @workflow.update
    async def resume(self, r: Resume) -> TicketView:
        async with self._acting(r, self._can_resume):
            await self._resume(r.by)
            return self._view()

    @resume.validator
    def _validate_resume(self, r: Resume) -> None:
        self._admit(r, self._can_resume)

    @workflow.update
    async def resolve(self, r: Resolve) -> TicketView:
        async with self._acting(r, self._can_resolve):
            s, v, now = self._s, self._s.view, workflow.now()
            self._respond()
            s.resolve_before_review = s.clocks.pop(Clock.RESOLVE, None)
            s.clocks.pop(Clock.UPDATE, None)
            s.clocks.pop(Clock.ESCALATION, None)
            v.solution = r.solution
            v.root_cause = stamped(r.root_cause, r.by) if r.root_cause else None
            v.resolved_at = now
            v.status = Status.RESOLVED
            v.compensation = None
            offer = r.compensation.model_dump(mode="json") if r.compensation else None
            scripted = {"script": r.script} if r.script else {}
            await self._event(
                "resolved",
                r.by,
                solution=r.solution,
                root_cause=v.root_cause.model_dump(mode="json") if v.root_cause else None,
                **({"compensation": offer} if offer else {}),
                **scripted,
            )
            if r.compensation is not None:
                needs = self._policy.compensation.needs_approval(r.compensation)
                status = CompensationStatus.PENDING_APPROVAL if needs else CompensationStatus.APPROVED
                v.compensation = CompensationState(offer=r.compensation, status=status, needs_approval=needs)
                if needs:
                    # Seed 002 (提交至客服主管进行审核): above the type's threshold a supervisor decides.
                    v.status = Status.IN_REVIEW
                    self._start(Clock.APPROVAL, now)
                    facts = _offer_facts(r.compensation)
                    seq = await self._event("compensation_requested", None, **facts)
                    await self._notify(seq, Audience.TEAM_SUPERVISOR, "compensation_approval", more=facts)
                    return self._view()
            await self._after_resolution(now)
            return self._view()

    async def _after_resolution(self, now: datetime) -> None:
        """The solution (and any compensation) is settled inside the team: review, else the customer hears."""
        v = self._s.view
        if self._policy.review.required(v.priority, v.kind):
            v.status = Status.IN_REVIEW
            seq = await self._event("review_requested", None)
            await self._notify(seq, Audience.TEAM_SUPERVISOR, "review_requested")
        else:
            await self._resolution_delivered(now)

    @workflow.update
    async def decide_compensation(self, d: CompensationDecision) -> TicketView:
        async with self._acting(d, self._can_decide_compensation):
            s, v, now = self._s, self._s.view, workflow.now()
            c = v.compensation
            assert c is not None
            s.clocks.pop(Clock.APPROVAL, None)
            c.decided_by, c.comment, c.decided_at = d.by, d.comment, now
            if d.approve:
                c.status = CompensationStatus.APPROVED
                await self._event("compensation_approved", d.by, comment=d.comment)
                await self._after_resolution(now)
                return self._view()
            # Refused: back to the holder with the reason; the resolution clock runs on from where it was.
            c.status = CompensationStatus.REFUSED
            self._back_to_holder()
            seq = await self._event("compensation_refused", d.by, comment=d.comment)
            if v.assignee:
                await self._notify(
                    seq, Audience.MEMBER, "compensation_refused", member=v.assignee, comment=d.comment
                )
            return self._view()

    @decide_compensation.validator
    def _validate_decide_compensation(self, d: CompensationDecision) -> None:
        self._admit(d, self._can_decide_compensation)

    def _back_to_holder(self) -> None:
        s, v = self._s, self._s.view
        v.status = Status.IN_PROGRESS
        v.resolved_at = None
        if s.resolve_before_review is not None:
            s.clocks[Clock.RESOLVE] = s.resolve_before_review
        s.resolve_before_review = None
        self._start(Clock.UPDATE, workflow.now())

    @resolve.validator
    def _validate_resolve(self, r: Resolve) -> None:
        self._admit(r, self._can_resolve)

    async def _resolution_delivered(self, now: datetime) -> None:
        s = self._s
        run, s.resolve_before_review = s.resolve_before_review, None
        at = s.view.resolved_at or workflow.now()
        if run is not None:
            s.outcomes.append(Outcome(clock=Clock.RESOLVE, due=run.due, at=at, met=at <= run.due))
        await self._callback(now)

    @workflow.update
    async def review(self, d: ReviewDecision) -> TicketView:
        async with self._acting(d, self._can_review):
            v, now = self._s.view, workflow.now()
            if d.approve:
                await self._event("review_approved", d.by, comment=d.comment)
                await self._resolution_delivered(now)
            else:
                # Back to the handler; the resolution clock runs on from where it was (it may be past due).
                self._back_to_holder()
                seq = await self._event("review_rejected", d.by, comment=d.comment)
                if v.assignee:
                    await self._notify(
                        seq, Audience.MEMBER, "review_rejected", member=v.assignee, comment=d.comment
                    )
            return self._view()

    @review.validator
    def _validate_review(self, d: ReviewDecision) -> None:
        self._admit(d, self._can_review)

    @workflow.update
    async def reassign(self, r: Reassign) -> TicketView:
        async with self._acting(r, self._can_reassign):
            if r.to_team is not None:
                self._s.excluded = []
            try:
                await self._assign(member_id=r.to_member, team=r.to_team, reason=r.reason)
            except ActivityError as e:
                raise ApplicationError(str(e.cause or e), type="ReassignFailed") from e
            return self._view()

    @reassign.validator
    def _validate_reassign(self, r: Reassign) -> None:
        self._admit(r, self._can_reassign)

    @workflow.update
    async def resort(self, r: Resort) -> TicketView:
        async with self._acting(r, self._can_resort):
            s, v = self._s, self._s.view
            before = {"category": v.category.value, "kind": v.kind.value, "priority": v.priority.value}
            v.category, v.kind = r.category or v.category, r.kind or v.kind
            reprioritised = r.priority is not None and r.priority != v.priority
            v.priority = r.priority or v.priority
            v.needs_triage = False
            moved: list[str] = []
            if reprioritised:
                # The customer has waited since intake whatever we filed it as: the response and resolution
                # targets of the new priority count from the intake time, never from the correction.
                for clock in (Clock.RESPONSE, Clock.RESOLVE):
                    if clock in s.clocks and (clock is Clock.RESPONSE or v.reopen_count == 0):
                        self._start(clock, v.opened_at)
                        moved.append(clock.value)
                if Clock.UPDATE in s.clocks:  # the cadence of the new priority, from the last update
                    self._start(Clock.UPDATE, s.clocks[Clock.UPDATE].start)
                    moved.append(Clock.UPDATE.value)
            lead = route(self._policy, v.kind, v.category, v.priority, v.customer.tier)
            after = {"category": v.category.value, "kind": v.kind.value, "priority": v.priority.value}
            await self._event(
                "resorted", r.by, before=before, after=after, reason=r.reason, team=lead.team, clocks=moved
            )
            v.collaborators = lead.collaborators
            if lead.team != v.team:
                s.excluded = []
                try:
                    await self._assign(team=lead.team, reason=f"re-sorted: {r.reason}")
                except ActivityError as e:
                    raise ApplicationError(str(e.cause or e), type="ReassignFailed") from e
            return self._view()

    @resort.validator
    def _validate_resort(self, r: Resort) -> None:
        self._admit(r, self._can_resort)

    @workflow.update
    async def escalate(self, e: Escalate) -> TicketView:
        async with self._acting(e, self._can_escalate):
            await self._escalate(e.reason, e.by, workflow.now())
            return self._view()

    @escalate.validator
    def _validate_escalate(self, e: Escalate) -> None:
        self._admit(e, self._can_escalate)

    async def _feedback(self, f: FeedbackAnswer) -> None:
        s, v, now = self._s, self._s.view, workflow.now()
        v.feedback = f
        s.clocks.pop(Clock.FEEDBACK, None)
        s.clocks.pop(Clock.CALL, None)
        c = v.compensation
        if c is not None and c.status is CompensationStatus.APPROVED and f.accepts_compensation is not None:
            # Seed 001 (补偿方案并经客户确认): the customer accepts the compensation, or declines it.
            c.status = CompensationStatus.ACCEPTED if f.accepts_compensation else CompensationStatus.DECLINED
            c.answered_at = now
            seq = await self._event(f"compensation_{c.status.value}", "customer")
            if not f.accepts_compensation and v.assignee:
                await self._notify(seq, Audience.MEMBER, "compensation_declined", member=v.assignee)
        if f.disputes_cause and v.root_cause is not None:
            await self._cause_disputed(f)
            return
        declined = c is not None and c.status is CompensationStatus.DECLINED
        if sla.satisfied(self._policy, f) and not declined:
            await self._event("feedback", None, solved=f.solved, score=f.score, comment=f.comment)
            await self._close("satisfied")
            return
        # Seeds 000, 002: dissatisfied → reopened one priority level up, supervisor told, 24 h to resolve.
        v.priority = v.priority.raised()
        v.reopen_count += 1
        v.status = Status.IN_PROGRESS
        v.resolved_at = None
        s.callback_due = None
        self._start(Clock.RESOLVE, now, self._policy.feedback.reopen_resolution)
        self._start(Clock.UPDATE, now)
        seq = await self._event("reopened", None, solved=f.solved, score=f.score, comment=f.comment)
        await self._notify(seq, Audience.TEAM_SUPERVISOR, "reopened", score=str(f.score))

    async def _cause_disputed(self, f: FeedbackAnswer) -> None:
        """Seed 003 第六步: the customer disagrees with the cause: reopened, marked, the cause traced again
        (no longer verified) within the reopen target; the priority stays, the service was not the issue."""
        s, v, now = self._s, self._s.view, workflow.now()
        v.cause_disputed = True
        v.root_cause = disputed(v.root_cause)
        v.reopen_count += 1
        v.status = Status.IN_PROGRESS
        v.resolved_at = None
        s.callback_due = None
        self._start(Clock.RESOLVE, now, self._policy.feedback.reopen_resolution)
        self._start(Clock.UPDATE, now)
        seq = await self._event(
            "reopened", None, solved=f.solved, score=f.score, comment=f.comment, cause_disputed=True
        )
        await self._notify(seq, Audience.TEAM_SUPERVISOR, "cause_disputed", comment=f.comment)
        if v.assignee:
            await self._notify(seq, Audience.MEMBER, "cause_disputed", member=v.assignee, comment=f.comment)

    @workflow.update
    async def feedback(self, f: FeedbackAnswer) -> TicketView:
        async with self._acting(f, self._can_feedback):
            await self._feedback(f)
            return self._view()

    @feedback.validator
    def _validate_feedback(self, f: FeedbackAnswer) -> None:
        self._admit(f, self._can_feedback)

    @workflow.update
    async def record_call(self, c: CallOutcome) -> TicketView:
        """A handler called the customer: on record; reached and answered, it is their feedback."""
        async with self._acting(c, self._can_record_call):
            s, now = self._s, workflow.now()
            run = s.clocks.pop(Clock.CALL, None)
            if run is not None:
                s.outcomes.append(Outcome(clock=Clock.CALLBACK, due=run.due, at=now, met=now <= run.due))
            answer = c.answer()
            await self._event(
                "call",
                c.by,
                reached=c.reached,
                solved=c.solved,
                score=c.score,
                comment=c.comment,
                attempt=s.feedback_attempts,
            )
            if answer is not None and s.view.status is Status.AWAITING_FEEDBACK:
                await self._feedback(answer)
            return self._view()

    @record_call.validator
    def _validate_record_call(self, c: CallOutcome) -> None:
        self._admit(c, self._can_record_call)

    def _can_record_call(self, c: CallOutcome) -> str | None:
        v = self._s.view
        if v.status is Status.CLOSED:
            return "ticket is closed; its calls are over"
        if c.reached and (c.solved is None) != (c.score is None):
            return "a reached customer's answer needs both solved and score, or neither"
        return None

    # ---- fire-and-forget channels: an invalid message is recorded as rejected, never fails the ticket --

    # Signals arrive as raw payloads and are decoded here: the SDK would drop one that fails to decode
    # (a score of 7, a missing field) without a trace; we record it as rejected with the reason.
    @workflow.signal(name="progress_note")
    async def progress_note(self, raw: RawValue) -> None:
        async with self._step():
            p = await self._decoded(raw, ProgressNote, "progress_note")
            if p is None:
                return
            reason = self._can_progress(p)
            if reason is not None:
                await self._event("rejected", p.by, message="progress_note", reason=reason)
                return
            await self._progress(p)

    @workflow.signal(name="customer_feedback")
    async def customer_feedback(self, raw: RawValue) -> None:
        async with self._step():
            f = await self._decoded(raw, FeedbackAnswer, "customer_feedback")
            if f is None:
                return
            reason = self._can_feedback(f)
            if reason is not None:
                await self._event("rejected", None, message="customer_feedback", reason=reason)
                return
            await self._feedback(f)

    @workflow.signal(name="slot_freed")
    def slot_freed(self) -> None:
        """A slot freed in the team (seed 001): a queued ticket tries again now, not at its backstop timer."""
        if Clock.ASSIGN in self._s.clocks:
            self._s.clocks[Clock.ASSIGN] = sla.start(workflow.now(), timedelta(0))
            self._wake_if_needed()

    @workflow.update
    async def ask_collaboration(self, a: AskCollaboration) -> TicketView:
        """Seeds 002, 004: another team is asked, with a deadline in its calendar; a child workflow each."""
        async with self._acting(a, self._can_ask):
            await self._ask(a.team, a.question, a.by, a.attachment_ids)
            return self._view()

    async def _ask(self, team: str, question: str, by: str, attachment_ids: list[int]) -> None:
        """Start the team's request as a child workflow, due `answer_within` in the team's calendar."""
        v, now = self._s.view, workflow.now()
        p = self._policy.collaboration
        number = len(v.collaborations) + 1
        if self._calendars:
            name = p.team_calendars.get(team, self._policy.targets.calendar.default)
            cal = self._policy.calendar(name)
            run = sla.start(now, p.answer_within, cal, name)
            remind = sla.warn_time(run, p.remind_at, cal)
        else:
            run = sla.start(now, p.answer_within)
            remind = sla.warn_time(run, p.remind_at)
        ask = CollaborationInput(
            ticket_no=v.ticket_no,
            number=number,
            team=team,
            question=question,
            asked_by=by,
            asked_at=now,
            remind_at=remind,
            due=run.due,
            priority=v.priority,
        )
        rid = request_id(v.ticket_no, number)
        await workflow.start_child_workflow(
            COLLABORATION_WORKFLOW, ask, id=rid, parent_close_policy=ParentClosePolicy.ABANDON
        )
        v.collaborations.append(
            CollaborationView(
                id=rid,
                number=number,
                team=team,
                question=question,
                asked_by=by,
                asked_at=now,
                due=run.due,
            )
        )
        if team not in v.collaborators:
            v.collaborators.append(team)
        await self._event(
            "collaboration_requested",
            by,
            request=rid,
            team=team,
            question=question,
            due=run.due.isoformat(),
            attachment_ids=list(attachment_ids),
        )

    @ask_collaboration.validator
    def _validate_ask_collaboration(self, a: AskCollaboration) -> None:
        self._admit(a, self._can_ask)

    def _can_ask(self, a: AskCollaboration) -> str | None:
        v = self._s.view
        if v.status not in OPEN and v.status is not Status.IN_REVIEW:
            return f"ticket is {v.status.value}; there is nothing left to ask another team"
        if a.team == v.team:
            return f"team {a.team} holds this ticket; reassign within it instead"
        return None

    @workflow.signal(name="collaboration_news")
    async def collaboration_news(self, news: CollaborationView) -> None:
        """A request was escalated or answered: on the timeline; an answer tells the holder."""
        async with self._step():
            v = self._s.view
            known = next((i for i, c in enumerate(v.collaborations) if c.id == news.id), None)
            if known is None or v.status is Status.CLOSED:
                return
            old, v.collaborations[known] = v.collaborations[known], news
            if news.escalated and not old.escalated:
                await self._event("collaboration_overdue", None, request=news.id, team=news.team)
            if news.status is CollaborationStatus.ANSWERED and old.status is not CollaborationStatus.ANSWERED:
                seq = await self._event(
                    "collaboration_answered",
                    news.answered_by,
                    request=news.id,
                    team=news.team,
                    answer=news.answer,
                    on_time=news.on_time,
                    attachment_ids=list(news.attachment_ids),
                )
                facts = {"team": news.team, "answer": (news.answer or "")[:500]}
                if v.assignee:
                    await self._notify(
                        seq, Audience.MEMBER, "collaboration_answered", member=v.assignee, more=facts
                    )
                else:
                    await self._notify(seq, Audience.TEAM_SUPERVISOR, "collaboration_answered", more=facts)

    @workflow.signal(name="attachment_added")
    async def attachment_added(self, raw: RawValue) -> None:
        """An evidence file was attached (its content stays in the store): on the timeline."""
        async with self._step():
            a = await self._decoded(raw, AttachmentAdded, "attachment_added")
            if a is None or self._s.view.status is Status.CLOSED:
                return
            await self._event(
                "attachment", a.by, attachment_id=a.id, name=a.name, content_type=a.content_type, size=a.size
            )

    @workflow.signal(name="customer_message")
    async def customer_message(self, raw: RawValue) -> None:
        """The customer wrote again: on the timeline, the holder told, a wait for them over (seed 003)."""
        async with self._step():
            m = await self._decoded(raw, CustomerMessage, "customer_message")
            s, v = self._s, self._s.view
            if m is None or m.id in s.messages or v.status is Status.CLOSED:
                return
            s.messages.append(m.id)
            files = {"attachment_ids": list(m.attachment_ids)} if m.attachment_ids else {}
            seq = await self._event(
                "customer_message", "customer", message_id=m.id, text=m.text, via=m.via, **files
            )
            if v.assignee:
                await self._notify(seq, Audience.MEMBER, "customer_replied", member=v.assignee, text=m.text)
            else:
                await self._notify(seq, Audience.TEAM_SUPERVISOR, "customer_replied", text=m.text)
            if v.status is Status.WAITING_CUSTOMER:
                await self._resume("customer")

    async def _decoded(self, raw: RawValue, model: type[M], message: str) -> M | None:
        try:
            value = workflow.payload_converter().from_payload(raw.payload, model)
        except Exception as e:  # any decoding failure is the sender's error, never the ticket's
            reason = _first_error(e)
            workflow.logger.warning("signal rejected", extra={"signal": message, "reason": reason})
            await self._event("rejected", None, message=message, reason=reason)
            return None
        return value if isinstance(value, model) else None

    @workflow.query
    def view(self) -> TicketView:
        return self._view()
