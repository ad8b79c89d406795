"""Who may act on a ticket: the rule the API and the workflow's validators both apply."""

import pytest

from domain.access import Caller, TicketScope, may_access, refusal, scope_of, sees_contact
from domain.enums import ApiRole, Channel, Status

TICKET = TicketScope(
    ticket_no="202611-000001", channel=Channel.CHAT, team="billing", collaborators=["tech"], assignee="ann"
)


@pytest.mark.parametrize(
    ("caller", "allowed", "contact"),
    [
        (Caller(role=ApiRole.ADMIN), True, True),  # audited
        (Caller(role=ApiRole.AGENT, member_id="ann", team_id="billing"), True, True),
        (Caller(role=ApiRole.AGENT, member_id="bob", team_id="billing"), False, False),
        (Caller(role=ApiRole.SUPERVISOR, member_id="sue", team_id="billing"), True, True),
        # A collaborating team's supervisor reads the ticket, not the customer's full contact.
        (Caller(role=ApiRole.SUPERVISOR, member_id="tia", team_id="tech"), True, False),
        (Caller(role=ApiRole.HEAD, member_id="hal", teams=["billing", "sales"]), True, False),
        (Caller(role=ApiRole.HEAD, member_id="hex", teams=["logistics"]), False, False),
        (Caller(role=ApiRole.DIRECTOR, member_id="dee"), True, False),
        (Caller(role=ApiRole.SUPERVISOR, member_id="sam", team_id="logistics"), False, False),
        (Caller(role=ApiRole.INTEGRATOR, channel=Channel.CHAT), True, False),
        (Caller(role=ApiRole.INTEGRATOR, channel=Channel.PHONE), False, False),
    ],
)
def test_admins_all_agents_their_own_supervisors_their_teams_integrators_their_channel(
    caller: Caller, allowed: bool, contact: bool
) -> None:
    assert may_access(caller, TICKET) is allowed
    assert (refusal(caller, TICKET) is None) is allowed
    assert sees_contact(caller, TICKET) is contact


def test_a_refusal_says_no_such_ticket_so_it_does_not_tell_that_the_ticket_exists() -> None:
    assert refusal(Caller(role=ApiRole.AGENT, member_id="bob"), TICKET) == "no ticket 202611-000001"


def test_after_close_only_admins_read_the_full_contact() -> None:
    closed = TICKET.model_copy(update={"status": Status.CLOSED})
    holder = Caller(role=ApiRole.AGENT, member_id="ann", team_id="billing")
    lead_supervisor = Caller(role=ApiRole.SUPERVISOR, member_id="sue", team_id="billing")
    assert may_access(holder, closed) and not sees_contact(holder, closed)
    assert not sees_contact(lead_supervisor, closed)
    assert sees_contact(Caller(role=ApiRole.ADMIN), closed)


def test_the_scope_reads_any_object_carrying_the_ticket_fields() -> None:
    class Row:
        ticket_no = "202611-000002"
        channel = Channel.EMAIL
        team = "tech"
        collaborators: list[str] = []
        assignee = None
        description = "not part of the scope"

    assert scope_of(Row()) == TicketScope(ticket_no="202611-000002", channel=Channel.EMAIL, team="tech")
