"""Who may act on a ticket and who sees its customer's raw contact: rules over the caller and the ticket."""

from pydantic import BaseModel, ConfigDict

from domain.enums import ApiRole, Channel


class Caller(BaseModel):
    """Whoever calls, as their API key says: the role, and the member (agents, supervisors) or the
    channel (integrators) behind it."""

    role: ApiRole
    member_id: str | None = None
    team_id: str | None = None
    channel: Channel | None = None


class TicketScope(BaseModel):
    """The fields of a ticket that decide access: read from its view or its read-model row alike."""

    model_config = ConfigDict(from_attributes=True)

    ticket_no: str
    channel: Channel
    team: str | None = None
    collaborators: list[str] = []
    assignee: str | None = None


def scope_of(ticket: object) -> TicketScope:
    """The scope of anything carrying a ticket's fields (a `TicketView`, a read-model row)."""
    return TicketScope.model_validate(ticket)


def _supervises(c: Caller, t: TicketScope) -> bool:
    return c.team_id is not None and (t.team == c.team_id or c.team_id in t.collaborators)


def may_access(c: Caller, t: TicketScope) -> bool:
    """Admins everything; an agent the tickets they hold; a supervisor their team's and the ones it
    collaborates on; an integrator its own channel's."""
    match c.role:
        case ApiRole.ADMIN:
            return True
        case ApiRole.AGENT:
            return c.member_id is not None and t.assignee == c.member_id
        case ApiRole.SUPERVISOR:
            return _supervises(c, t)
        case ApiRole.INTEGRATOR:
            return c.channel is None or c.channel == t.channel
    return False


def sees_contact(c: Caller, t: TicketScope) -> bool:
    """Full contact for the assigned handler and the ticket's supervisors only (seeds 000, 003, 004)."""
    if c.role == ApiRole.AGENT:
        return c.member_id is not None and t.assignee == c.member_id
    return c.role == ApiRole.SUPERVISOR and _supervises(c, t)


def refusal(c: Caller, t: TicketScope) -> str | None:
    """Why `c` may not touch the ticket, or None when they may."""
    return None if may_access(c, t) else f"ticket {t.ticket_no} is not yours"
