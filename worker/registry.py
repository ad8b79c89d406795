"""What a ticketflow worker runs: its workflows and the activities bound to the process's resources."""

from collections.abc import Callable, Sequence
from typing import Any

import asyncpg

from infra.settings import Settings


def workflows() -> Sequence[type]:
    from workflows.collaboration import CollaborationWorkflow
    from workflows.corrective import CorrectiveActionWorkflow
    from workflows.ticket import TicketWorkflow

    return [TicketWorkflow, CollaborationWorkflow, CorrectiveActionWorkflow, *insight_workflows()]


def activities(pool: asyncpg.Pool, settings: Settings) -> Sequence[Callable[..., Any]]:
    from activities.corrective import CorrectiveActivities
    from activities.ticket_writes import TicketActivities

    return [
        *TicketActivities(pool, settings).all(),
        *CorrectiveActivities(pool, settings).all(),
        *insight_activities(pool, settings),
    ]


def insight_workflows() -> Sequence[type]:
    """Hotspots, retention and reports (issue 7); the classifier's retraining (issue 21)."""
    from workflows.classifier_training import ClassifierTrainingWorkflow
    from workflows.hotspot_counter import HotspotWorkflow
    from workflows.report import WeeklyReportWorkflow
    from workflows.retention import PurgeWorkflow

    return [HotspotWorkflow, PurgeWorkflow, WeeklyReportWorkflow, ClassifierTrainingWorkflow]


def counter_activities(pool: asyncpg.Pool, settings: Settings) -> Sequence[Callable[..., Any]]:
    """What the hotspot counters call: the incident writes and `notify`."""
    from activities.incidents import IncidentActivities
    from activities.notify import NotifyActivities

    return [*IncidentActivities(pool, settings).all(), NotifyActivities(pool, settings).notify]


def insight_activities(pool: asyncpg.Pool, settings: Settings) -> Sequence[Callable[..., Any]]:
    """The activities of the insight workflows, except `notify`, which the ticket bundle registers."""
    from activities.classifier import ClassifierActivities
    from activities.incidents import IncidentActivities
    from activities.reports import ReportActivities
    from activities.retention import RetentionActivities

    return [
        *IncidentActivities(pool, settings).all(),
        *RetentionActivities(pool, settings).all(),
        *ReportActivities(pool, settings).all(),
        *ClassifierActivities(pool, settings).all(),
    ]
