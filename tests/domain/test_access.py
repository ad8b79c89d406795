"""Who may act on a ticket: the rule the API and the workflow's validators both apply."""

import pytest

from domain.access import Caller, TicketScope, may_access, refusal, scope_of, sees_contact
from domain.enums import ApiRole, Channel

TICKET = TicketScope(
    ticket_no="202611-000001", channel=Channel.CHAT, team="billing", collaborators=["tech"], assignee="ann"
)


@pytest.mark.parametrize(
    ("caller", "allowed", "contact"),
    [
        (Caller(role=ApiRole.ADMIN), True, False),
        (Caller(role=ApiRole.AGENT, member_id="ann", team_id="billing"), True, True),
        (Caller(role=ApiRole.AGENT, member_id="bob", team_id="billing"), False, False),
        (Caller(role=ApiRole.SUPERVISOR, member_id="sue", team_id="billing"), True, True),
        (Caller(role=ApiRole.SUPERVISOR, member_id="tia", team_id="tech"), True, True),  # collaborating team
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


def test_a_refusal_names_the_ticket() -> None:
    assert refusal(Caller(role=ApiRole.AGENT, member_id="bob"), TICKET) == "ticket 202611-000001 is not yours"


def test_the_scope_reads_any_object_carrying_the_ticket_fields() -> None:
    class Row:
        ticket_no = "202611-000002"
        channel = Channel.EMAIL
        team = "tech"
        collaborators: list[str] = []
        assignee = None
        description = "not part of the scope"

    assert scope_of(Row()) == TicketScope(ticket_no="202611-000002", channel=Channel.EMAIL, team="tech")
