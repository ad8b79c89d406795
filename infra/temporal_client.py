"""One way to connect to Temporal: pydantic models on the wire, the settings' address and namespace."""

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from infra.settings import Settings


async def connect(settings: Settings, metrics_address: str = "") -> Client:
    """A client; with `metrics_address` its runtime (and so every worker on it) serves Prometheus metrics."""
    runtime = (
        Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=metrics_address)))
        if metrics_address
        else None
    )
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
        runtime=runtime,
    )
