"""Who may act on a ticket and who sees its customer's raw contact: rules over the caller and the ticket."""

from pydantic import BaseModel, ConfigDict

from domain.enums import ApiRole, Channel, Status


class Caller(BaseModel):
    """Whoever calls, as their API key says: the role, and the member (agents, supervisors, heads,
    directors) or the channel (integrators) behind it; a head's `teams` are their department's."""

    role: ApiRole
    member_id: str | None = None
    team_id: str | None = None
    channel: Channel | None = None
    teams: list[str] = []


class TicketScope(BaseModel):
    """The fields of a ticket that decide access: read from its view or its read-model row alike."""

    model_config = ConfigDict(from_attributes=True)

    ticket_no: str
    channel: Channel
    team: str | None = None
    collaborators: list[str] = []
    assignee: str | None = None
    status: Status | None = None


def scope_of(ticket: object) -> TicketScope:
    """The scope of anything carrying a ticket's fields (a `TicketView`, a read-model row)."""
    return TicketScope.model_validate(ticket)


def _supervises(c: Caller, t: TicketScope) -> bool:
    return c.team_id is not None and (t.team == c.team_id or c.team_id in t.collaborators)


def may_access(c: Caller, t: TicketScope) -> bool:
    """Admins and the director everything; an agent the tickets they hold; a supervisor their team's and
    the ones it collaborates on; a head their department's teams'; an integrator its own channel's."""
    match c.role:
        case ApiRole.ADMIN | ApiRole.DIRECTOR:
            return True
        case ApiRole.AGENT:
            return c.member_id is not None and t.assignee == c.member_id
        case ApiRole.SUPERVISOR:
            return _supervises(c, t)
        case ApiRole.HEAD:
            return any(team in c.teams for team in [t.team, *t.collaborators] if team)
        case ApiRole.INTEGRATOR:
            return c.channel is None or c.channel == t.channel
    return False


def sees_contact(c: Caller, t: TicketScope) -> bool:
    """Full contact while the ticket is open for its holder and its lead team's supervisor only; after
    it closes, for admins only (seeds 000, 003, 004). Admins' reads are audited like everyone's."""
    if c.role == ApiRole.ADMIN:
        return True
    if t.status is Status.CLOSED:
        return False
    if c.role == ApiRole.AGENT:
        return c.member_id is not None and t.assignee == c.member_id
    return c.role == ApiRole.SUPERVISOR and c.team_id is not None and t.team == c.team_id


def refusal(c: Caller, t: TicketScope) -> str | None:
    """Why `c` may not touch the ticket, or None when they may: to them, it does not exist."""
    return None if may_access(c, t) else f"no ticket {t.ticket_no}"
