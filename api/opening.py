"""Opening a ticket, and taking what its customer writes later: shared by intake and the signed link."""

import asyncio
from datetime import UTC, datetime

from fastapi import Request
from pydantic import BaseModel
from temporalio.service import RPCError, RPCStatusCode

from api.classifier import classifier
from api.hotspot_signals import HotspotCounter
from api.state import hotspots_of, policy_of, pool_of, settings_of, temporal_of
from api.workflow_calls import start_ticket
from domain import sla
from domain.actions import CustomerMessage
from domain.classification import Sorted, decide, keyword_match, needs_sorting
from domain.enums import Status
from domain.hotspot_window import TicketOpened
from domain.intake import Customer, IntakeRequest, mask_customer
from domain.masking import mask_text
from domain.policy import Policy
from domain.routing import default_priority, route
from domain.sla import Clock
from domain.ticket import TicketInput
from store import customer_messages
from store import intake as store


def ticket_input(record: store.IntakeRecord, policy: Policy) -> TicketInput:
    """The workflow's input: masked customer only, and none of the customer's free text."""
    return TicketInput(
        ticket_no=record.ticket_no,
        channel=record.channel,
        kind=record.kind,
        category=record.category,
        priority=record.priority,
        customer=mask_customer(record.customer_id, record.customer, record.channel),
        opened_at=record.opened_at,
        product=record.product,
        order_batch=record.order_batch,
        repeat_count=record.repeat_count,
        follow_up_of=record.follow_up_of,
        needs_triage=record.needs_triage,
        policy=policy,
    )


def _opened(ticket: TicketInput, record: store.IntakeRecord) -> TicketOpened:
    lead = route(ticket.policy, ticket.kind, ticket.category, ticket.priority, ticket.customer.tier)
    return TicketOpened(
        ticket_no=ticket.ticket_no,
        category=ticket.category,
        product=record.product,
        order_batch=record.order_batch,
        opened_at=ticket.opened_at,
        team=ticket.policy.routing.default_team if ticket.needs_triage else lead.team,
    )


async def open_or_find(
    request: Request, body: IntakeRequest, follow_up_of: str | None = None
) -> store.IntakeRecord:
    """The ticket of (channel, external_id): opened, numbered, started and counted, or found again."""
    pool, policy = pool_of(request), policy_of(request)
    sorted_ = await sort(request, policy, body) if needs_sorting(body.category, body.kind) else None
    kind = body.kind or (sorted_.kind if sorted_ else policy.classification.triage_kind)
    category = body.category or (sorted_.category if sorted_ else policy.classification.triage_category)
    priority = body.priority or default_priority(policy, kind, category, body.customer.tier)
    now = datetime.now(UTC)
    # A repeat of an intake finds its ticket in there (and these figures unused): one way in for both.
    record = await store.open_ticket(
        pool,
        store.NewTicket(
            request=body,
            kind=kind,
            category=category,
            sorted=sorted_,
            priority=priority,
            opened_at=now,
            response_due=sla.due_from(policy, Clock.RESPONSE, priority, body.customer.tier, now),
            resolve_due=sla.due_from(policy, Clock.RESOLVE, priority, body.customer.tier, now),
            repeat_since=now - policy.customers.repeat_window,
            follow_up_of=follow_up_of,
        ),
    )
    if not record.workflow_started:
        # Also the path of a retry after a crash between numbering and starting: finish the job.
        await _start(request, record, policy, hotspots_of(request))
        await store.mark_workflow_started(pool, record.ticket_no)
    return record


async def sort(request: Request, policy: Policy, body: IntakeRequest) -> Sorted:
    """The category and kind of a ticket sent without them: rules, then the classifier (seeds 000, 003).
    Off the event loop: the first call trains the classifier (a second or two), later ones take ~2 ms."""
    text = content(body.description, body.request)
    rule_category, rule_kind = keyword_match(policy, text)
    guess = None
    if (body.category or rule_category) is None or (body.kind or rule_kind) is None:
        model = await classifier(request, policy)
        guess = await asyncio.to_thread(model.guess, text)
    return decide(policy, text, body.category, body.kind, guess)


async def _start(
    request: Request, record: store.IntakeRecord, policy: Policy, hotspots: HotspotCounter
) -> None:
    client, task_queue = temporal_of(request), settings_of(request).task_queue
    ticket = ticket_input(record, policy)
    # Started and counted side by side, both before the start is marked done, so a retry finishes what a
    # crash left; both are idempotent (an already running start is success, a repeat count is ignored).
    done = await asyncio.gather(
        start_ticket(client, task_queue, ticket),
        hotspots.count(_opened(ticket, record)),
        return_exceptions=True,
    )
    for failed in (d for d in done if isinstance(d, BaseException)):
        raise failed  # both finished; the first failure answers (503 when Temporal is down)


def content(description: str, request: str | None) -> str:
    """What the customer wrote, as one text."""
    return description.strip() + (f"\n{request.strip()}" if request and request.strip() else "")


class Taken(BaseModel):
    """Where a customer's message went: the open ticket (appended), or a new ticket."""

    appended: bool
    record: store.IntakeRecord


async def take_message(
    request: Request,
    record: store.IntakeRecord,
    customer: Customer,
    text: str,
    via: str,
    attachment_ids: list[int] | None = None,
) -> Taken:
    """An open ticket takes the message (once, however often it is sent), with the files on it the message
    refers to; a closed one is followed up: linked within the policy's window, a new contact after it
    (seed 003)."""
    pool = pool_of(request)
    if record.status is not Status.CLOSED:
        message = await customer_messages.take(pool, record.ticket_no, text, via)
        if message.signalled:
            return Taken(appended=True, record=record)
        signal = CustomerMessage(
            id=message.id, text=mask_text(text)[:10_000], via=via, attachment_ids=attachment_ids or []
        )
        try:
            await (
                temporal_of(request).get_workflow_handle(record.ticket_no).signal("customer_message", signal)
            )
        except RPCError as e:
            if e.status != RPCStatusCode.NOT_FOUND:
                raise
            return await _follow_up(request, record, customer, text)  # closed since the row was read
        await customer_messages.mark_signalled(pool, message.id)
        return Taken(appended=True, record=record)
    return await _follow_up(request, record, customer, text)


async def _follow_up(request: Request, record: store.IntakeRecord, customer: Customer, text: str) -> Taken:
    window = policy_of(request).customers.follow_up_within
    closed = record.closed_at or datetime.now(UTC)
    linked = record.ticket_no if datetime.now(UTC) - closed <= window else None
    # The same words sent again find the same follow-up: its external id is derived from them.
    external_id = f"{record.external_id[:100]}~{customer_messages.content_hash(text)[:16]}"
    body = IntakeRequest(
        channel=record.channel,
        external_id=external_id,
        customer=customer,
        kind=record.kind,
        category=record.category,
        description=text[:10_000],
        product=record.product,
        order_batch=record.order_batch,
    )
    return Taken(appended=False, record=await open_or_find(request, body, follow_up_of=linked))
