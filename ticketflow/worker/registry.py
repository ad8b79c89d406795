"""What a ticketflow worker runs: its workflows and the activities bound to the process's resources."""

from collections.abc import Callable, Sequence
from typing import Any

import asyncpg

from ticketflow.settings import Settings


def workflows() -> Sequence[type]:
    from ticketflow.workflows.ticket import TicketWorkflow

    return [TicketWorkflow]


def activities(pool: asyncpg.Pool, settings: Settings) -> Sequence[Callable[..., Any]]:
    from ticketflow.activities.bundle import TicketActivities

    return TicketActivities(pool, settings).all()
