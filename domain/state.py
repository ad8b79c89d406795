"""The ticket workflow's whole state: what it queries, what it carries across continue-as-new."""

from datetime import datetime

from pydantic import BaseModel

from domain.notification import HeldNotice
from domain.sla import Clock, ClockRun, Outcome
from domain.ticket import TicketInput, TicketView


class TicketState(BaseModel):
    view: TicketView
    clocks: dict[Clock, ClockRun] = {}
    held_resolve: ClockRun | None = None  # the resolution clock while waiting for the customer
    paused_at: datetime | None = None
    callback_due: datetime | None = None
    callback_round: int = 0  # callbacks sent so far; a feedback link answers only the latest
    feedback_attempts: int = 0  # requests for this round's feedback: the callback, then a second attempt
    round: int = 0  # assignment rounds so far; the key of each assignment row
    current_round: int | None = None  # the round holding a member's capacity, released on hand-over
    excluded: list[str] = []  # members who let the acknowledgement lapse
    queue_notified: bool = False
    resolve_before_review: ClockRun | None = None
    outcomes: list[Outcome] = []
    archived: bool = False
    held: list[HeldNotice] = []  # notifications waiting out their recipients' quiet hours, earliest first
    messages: list[int] = []  # the customer's messages taken in, by id: a repeated signal changes nothing


class TicketRun(TicketInput):
    """The workflow's one argument: the intake, plus the state carried over by continue-as-new.

    A starter sends a plain TicketInput (`carried` absent); a continued run gets both.
    """

    carried: TicketState | None = None
