"""A stand-in ticket workflow for API tests while the real one is not there: same name, query and updates."""

from datetime import timedelta

from pydantic import BaseModel
from temporalio import workflow
from temporalio.exceptions import ApplicationError

from ticketflow.domain import actions as act
from ticketflow.domain.enums import Status
from ticketflow.domain.ticket import WORKFLOW_NAME, TicketInput, TicketView


class Assign(BaseModel):
    team: str
    assignee: str | None = None


@workflow.defn(name=WORKFLOW_NAME)
class StubTicketWorkflow:
    @workflow.init
    def __init__(self, ticket: TicketInput) -> None:
        self._view = TicketView(
            ticket_no=ticket.ticket_no,
            status=Status.NEW,
            priority=ticket.priority,
            kind=ticket.kind,
            category=ticket.category,
            channel=ticket.channel,
            customer=ticket.customer,
            opened_at=ticket.opened_at,
        )

    @workflow.run
    async def run(self, ticket: TicketInput) -> TicketView:
        await workflow.wait_condition(lambda: self._view.status == Status.CLOSED, timeout=timedelta(days=30))
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._view

    @workflow.query
    def view(self) -> TicketView:
        return self._view

    @workflow.update
    def assign(self, a: Assign) -> TicketView:
        self._view.team, self._view.assignee, self._view.status = a.team, a.assignee, Status.ASSIGNED
        return self._view

    @workflow.update
    def acknowledge(self, a: act.Acknowledge) -> TicketView:
        self._view.status = Status.IN_PROGRESS
        return self._view

    @acknowledge.validator
    def _acknowledge_ok(self, a: act.Acknowledge) -> None:
        if self._view.status != Status.ASSIGNED:
            raise ApplicationError(f"cannot acknowledge a ticket that is {self._view.status.value}")

    @workflow.update
    def progress(self, a: act.ProgressNote) -> TicketView:
        return self._view

    @workflow.update
    def resolve(self, a: act.Resolve) -> TicketView:
        self._view.status, self._view.solution = Status.AWAITING_FEEDBACK, a.solution
        return self._view

    @workflow.update
    def feedback(self, a: act.FeedbackAnswer) -> TicketView:
        self._view.feedback, self._view.status = a, Status.CLOSED
        return self._view

    @feedback.validator
    def _feedback_ok(self, a: act.FeedbackAnswer) -> None:
        if self._view.feedback is not None:
            raise ApplicationError("the customer has already answered")
        if self._view.status != Status.AWAITING_FEEDBACK:
            raise ApplicationError(f"not awaiting feedback: the ticket is {self._view.status.value}")
