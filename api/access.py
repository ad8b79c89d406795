"""The API's side of ticket access: a ticket the caller may not see answers 404, as if it did not exist."""

from api.errors import ApiError
from domain.access import Caller, TicketScope, refusal


def check_access(c: Caller, t: TicketScope) -> None:
    reason = refusal(c, t)
    if reason is not None:
        raise ApiError(404, "not_found", reason)
