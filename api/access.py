"""The API's side of ticket access: 403 naming the ticket when the domain's rule refuses the caller."""

from api.errors import ApiError
from domain.access import Caller, TicketScope, refusal


def check_access(c: Caller, t: TicketScope) -> None:
    reason = refusal(c, t)
    if reason is not None:
        raise ApiError(403, "forbidden", reason)
