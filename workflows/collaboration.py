"""A collaboration request: a child workflow of its ticket, assigned inside the asked team, reminded,
escalated to that team's supervisor when late, and answered; the ticket hears of each turn."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError, FailureError

with workflow.unsafe.imports_passed_through():
    from activities.ticket_writes import (
        DB_RETRY,
        DB_TIMEOUT,
        AssignRequest,
        AssignResult,
        ReleaseRequest,
        TicketActivities,
    )
    from domain.collaboration import (
        COLLABORATION_WORKFLOW,
        CollaborationAnswer,
        CollaborationInput,
        CollaborationStatus,
        CollaborationView,
        request_id,
    )
    from domain.enums import ApiRole
    from domain.notification import Audience, NotifyRequest

IDLE = timedelta(days=365)
NOTIFY_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))
# The ticket's signal: a request was escalated or answered.
NEWS = "collaboration_news"


@workflow.defn(name=COLLABORATION_WORKFLOW)
class CollaborationWorkflow:
    @workflow.init
    def __init__(self, input: CollaborationInput) -> None:
        self._in = input
        self._v = CollaborationView(
            id=request_id(input.ticket_no, input.number),
            number=input.number,
            team=input.team,
            question=input.question,
            asked_by=input.asked_by,
            asked_at=input.asked_at,
            due=input.due,
        )
        self._round = 0
        self._held_round: int | None = None
        self._retry_assign = False

    @workflow.run
    async def run(self, input: CollaborationInput) -> CollaborationView:
        v = self._v
        await self._assign()
        while v.status is CollaborationStatus.OPEN:
            nxt = None
            if not v.reminded:
                nxt = input.remind_at
            elif not v.escalated:
                nxt = input.due
            wait = (nxt - workflow.now()) if nxt else IDLE
            if wait > timedelta(0):
                try:
                    await workflow.wait_condition(
                        lambda: v.status is not CollaborationStatus.OPEN or self._retry_assign,
                        timeout=wait,
                        timeout_summary="collaboration deadline",
                    )
                except TimeoutError:
                    pass
            if v.status is not CollaborationStatus.OPEN:
                break
            if self._retry_assign:
                self._retry_assign = False
                if v.assignee is None:
                    await self._assign()
            now = workflow.now()
            if not v.reminded and now >= input.remind_at:
                v.reminded = True
                await self._tell_team("collaboration_reminder", "reminder")
            if v.reminded and not v.escalated and now >= input.due:
                # Seeds 002, 004: late, the request goes to the asked team's supervisor; the ticket hears.
                v.escalated = True
                await self._notify(Audience.TEAM_SUPERVISOR, "collaboration_overdue", "overdue", urgent=True)
                await self._news()
        # The capacity goes back; a request answered while still queued leaves the queue.
        await workflow.execute_activity_method(
            TicketActivities.release,
            ReleaseRequest(ticket_no=v.id, round=self._held_round or self._round),
            start_to_close_timeout=DB_TIMEOUT,
            retry_policy=DB_RETRY,
        )
        await self._news()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return v

    async def _assign(self) -> None:
        """The least-loaded free member of the team, as for a ticket; none free: the team's queue."""
        self._round += 1
        result: AssignResult = await workflow.execute_activity_method(
            TicketActivities.assign,
            AssignRequest(
                ticket_no=self._v.id,
                round=self._round,
                team=self._in.team,
                priority=self._in.priority,
                opened_at=self._in.asked_at,
            ),
            start_to_close_timeout=DB_TIMEOUT,
            retry_policy=DB_RETRY,
        )
        self._v.assignee = result.member_id
        if result.member_id is None:
            await self._notify(Audience.TEAM_SUPERVISOR, "collaboration_requested", f"asked{self._round}")
            return
        self._held_round = self._round
        await self._notify(
            Audience.MEMBER, "collaboration_requested", f"asked{self._round}", result.member_id
        )

    async def _tell_team(self, template: str, tag: str) -> None:
        if self._v.assignee:
            await self._notify(Audience.MEMBER, template, tag, self._v.assignee)
        else:
            await self._notify(Audience.TEAM_SUPERVISOR, template, tag)

    async def _notify(
        self, audience: Audience, template: str, tag: str, member: str | None = None, urgent: bool = False
    ) -> None:
        v = self._v
        req = NotifyRequest(
            key=f"{v.id}:{tag}:{audience.value}" + (f":{member}" if member else ""),
            ticket_no=self._in.ticket_no,
            audience=audience,
            member_id=member,
            team=self._in.team,
            template=template,
            facts={"question": v.question[:500], "due": v.due.isoformat(), "request": v.id},
            urgent=urgent,
        )
        await workflow.execute_activity(
            "notify", req, start_to_close_timeout=timedelta(seconds=30), retry_policy=NOTIFY_RETRY
        )

    async def _news(self) -> None:
        """Tell the ticket; a ticket that has finished meanwhile has nobody left to tell."""
        parent = workflow.info().parent
        if parent is None:
            return
        try:
            await workflow.get_external_workflow_handle(parent.workflow_id).signal(NEWS, self._v)
        except FailureError:
            workflow.logger.warning("ticket gone", extra={"request": self._v.id})

    def _can_answer(self, a: CollaborationAnswer) -> str | None:
        v = self._v
        if v.status is not CollaborationStatus.OPEN:
            return f"request {v.id} is already answered"
        c = a.caller
        if c is not None and c.role not in (ApiRole.ADMIN, ApiRole.DIRECTOR, ApiRole.HEAD):
            if c.team_id != v.team:
                return f"request {v.id} asks team {v.team}; only its members answer"
        return None

    @workflow.update
    async def answer(self, a: CollaborationAnswer) -> CollaborationView:
        reason = self._can_answer(a)
        if reason is not None:
            raise ApplicationError(reason, type="InvalidTransition")
        v, now = self._v, workflow.now()
        v.status = CollaborationStatus.ANSWERED
        v.answer, v.attachment_ids, v.answered_by, v.answered_at = a.text, a.attachment_ids, a.by, now
        v.on_time = now <= v.due
        return v

    @answer.validator
    def _validate_answer(self, a: CollaborationAnswer) -> None:
        reason = self._can_answer(a)
        if reason is not None:
            raise ApplicationError(reason, type="InvalidTransition")

    @workflow.signal(name="slot_freed")
    def slot_freed(self) -> None:
        """A slot freed in the team: a request waiting in its queue is assigned now."""
        self._retry_assign = True

    @workflow.query
    def view(self) -> CollaborationView:
        return self._v
