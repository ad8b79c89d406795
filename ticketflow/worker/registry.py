"""What a ticketflow worker runs: its workflows and the activities bound to the process's resources."""

from collections.abc import Callable, Sequence
from typing import Any

import asyncpg

from ticketflow.settings import Settings


def workflows() -> Sequence[type]:
    from ticketflow.workflows.ticket import TicketWorkflow

    return [TicketWorkflow, *insight_workflows()]


def activities(pool: asyncpg.Pool, settings: Settings) -> Sequence[Callable[..., Any]]:
    from ticketflow.activities.bundle import TicketActivities

    return [*TicketActivities(pool, settings).all(), *insight_activities(pool, settings)]


def insight_workflows() -> Sequence[type]:
    """Hotspots, retention and reports (issue 7)."""
    from ticketflow.workflows.hotspot import HotspotWorkflow
    from ticketflow.workflows.report import WeeklyReportWorkflow
    from ticketflow.workflows.retention import PurgeWorkflow

    return [HotspotWorkflow, PurgeWorkflow, WeeklyReportWorkflow]


def counter_activities(pool: asyncpg.Pool, settings: Settings) -> Sequence[Callable[..., Any]]:
    """What the hotspot counters call: the incident writes and `notify`."""
    from ticketflow.activities.incidents import IncidentActivities
    from ticketflow.activities.notify import NotifyActivities

    return [*IncidentActivities(pool, settings).all(), NotifyActivities(pool, settings).notify]


def insight_activities(pool: asyncpg.Pool, settings: Settings) -> Sequence[Callable[..., Any]]:
    """The activities of the insight workflows, except `notify`, which the ticket bundle registers."""
    from ticketflow.activities.incidents import IncidentActivities
    from ticketflow.activities.reports import ReportActivities
    from ticketflow.activities.retention import RetentionActivities

    return [
        *IncidentActivities(pool, settings).all(),
        *RetentionActivities(pool, settings).all(),
        *ReportActivities(pool, settings).all(),
    ]
