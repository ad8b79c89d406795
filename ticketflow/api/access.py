"""Which tickets a caller may touch, and who may see a ticket's raw customer contact."""

from pydantic import BaseModel

from ticketflow.api.auth import Principal
from ticketflow.api.errors import ApiError
from ticketflow.domain.enums import ApiRole, Channel
from ticketflow.domain.ticket import TicketView
from ticketflow.store.ticket_reads import TicketRow


class TicketScope(BaseModel):
    """The fields of a ticket that decide access."""

    ticket_no: str
    channel: Channel
    team: str | None = None
    collaborators: list[str] = []
    assignee: str | None = None

    @classmethod
    def of_view(cls, view: TicketView) -> "TicketScope":
        return cls(
            ticket_no=view.ticket_no,
            channel=view.channel,
            team=view.team,
            collaborators=list(view.collaborators),
            assignee=view.assignee,
        )

    @classmethod
    def of_row(cls, row: TicketRow) -> "TicketScope":
        return cls(
            ticket_no=row.ticket_no,
            channel=row.channel,
            team=row.team,
            collaborators=row.collaborators,
            assignee=row.assignee,
        )


def _supervises(p: Principal, t: TicketScope) -> bool:
    return p.team_id is not None and (t.team == p.team_id or p.team_id in t.collaborators)


def may_access(p: Principal, t: TicketScope) -> bool:
    match p.role:
        case ApiRole.ADMIN:
            return True
        case ApiRole.AGENT:
            return p.member_id is not None and t.assignee == p.member_id
        case ApiRole.SUPERVISOR:
            return _supervises(p, t)
        case ApiRole.INTEGRATOR:
            return p.channel is None or p.channel == t.channel
    return False


def sees_contact(p: Principal, t: TicketScope) -> bool:
    """Full contact for the assigned handler and the ticket's supervisors only (seeds 000, 003, 004)."""
    if p.role == ApiRole.AGENT:
        return p.member_id is not None and t.assignee == p.member_id
    return p.role == ApiRole.SUPERVISOR and _supervises(p, t)


def check_access(p: Principal, t: TicketScope) -> None:
    if not may_access(p, t):
        raise ApiError(403, "forbidden", f"ticket {t.ticket_no} is not yours")
