"""Typed access to what the lifespan put on `app.state`: Temporal client, pool, policy, settings, the
hotspot counter, the attachments' content store."""

import asyncpg
from fastapi import Request
from temporalio.client import Client

from api.hotspot_signals import HotspotCounter
from domain.policy import Policy
from infra.settings import Settings
from store.contents import Contents


def pool_of(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.pool
    return pool


def temporal_of(request: Request) -> Client:
    client: Client = request.app.state.temporal
    return client


def policy_of(request: Request) -> Policy:
    policy: Policy = request.app.state.policy
    return policy


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def contents_of(request: Request) -> Contents:
    """Where evidence files' bytes live: PostgreSQL, or the configured bucket."""
    contents: Contents = request.app.state.contents
    return contents


def hotspots_of(request: Request) -> HotspotCounter:
    counter: HotspotCounter = request.app.state.hotspots
    return counter
