"""One way to connect to Temporal: pydantic models on the wire, the settings' address, namespace, TLS, key."""

from pathlib import Path

from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.service import RPCError, RPCStatusCode, TLSConfig

from infra.settings import Settings


class TemporalUnavailable(RuntimeError):
    """Temporal cannot be used as configured; the message names the setting to look at."""


def _read(path: Path, setting: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise TemporalUnavailable(f"{setting}: cannot read {path}: {e.strerror}") from e


def tls_config(settings: Settings) -> TLSConfig | bool:
    """The TLS the settings ask for: False for plaintext, True for TLS with the system's CAs, or a config."""
    cert, key = settings.temporal_tls_cert_file, settings.temporal_tls_key_file
    if (cert is None) != (key is None):
        raise TemporalUnavailable(
            "TICKETFLOW_TEMPORAL_TLS_CERT_FILE and TICKETFLOW_TEMPORAL_TLS_KEY_FILE go together (mTLS)"
        )
    ca = settings.temporal_tls_ca_file
    if ca is None and cert is None and not settings.temporal_tls_server_name:
        # An API key travels only over TLS: Temporal Cloud takes it with the system's CAs.
        return settings.temporal_tls or bool(settings.temporal_api_key.get_secret_value())
    return TLSConfig(
        server_root_ca_cert=_read(ca, "TICKETFLOW_TEMPORAL_TLS_CA_FILE") if ca else None,
        client_cert=_read(cert, "TICKETFLOW_TEMPORAL_TLS_CERT_FILE") if cert else None,
        client_private_key=_read(key, "TICKETFLOW_TEMPORAL_TLS_KEY_FILE") if key else None,
        domain=settings.temporal_tls_server_name or None,
    )


async def connect(settings: Settings, metrics_address: str = "", *, check_namespace: bool = True) -> Client:
    """A client; with `metrics_address` its runtime (and so every worker on it) serves Prometheus metrics.

    Fails with TemporalUnavailable naming the setting when the cluster cannot be reached or, unless
    `check_namespace` is off, the namespace does not exist there."""
    runtime = (
        Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=metrics_address)))
        if metrics_address
        else None
    )
    api_key = settings.temporal_api_key.get_secret_value() or None
    try:
        client = await Client.connect(
            settings.temporal_address,
            namespace=settings.temporal_namespace,
            api_key=api_key,
            tls=tls_config(settings),
            data_converter=pydantic_data_converter,
            runtime=runtime,
        )
    except RuntimeError as e:
        if isinstance(e, TemporalUnavailable):
            raise
        raise TemporalUnavailable(
            f"cannot connect to Temporal at {settings.temporal_address} (TICKETFLOW_TEMPORAL_ADDRESS,"
            f" TICKETFLOW_TEMPORAL_TLS*, TICKETFLOW_TEMPORAL_API_KEY): {_first_line(e)}"
        ) from e
    if check_namespace:
        await _check_namespace(client, settings)
    return client


async def _check_namespace(client: Client, settings: Settings) -> None:
    ns = settings.temporal_namespace
    try:
        await client.workflow_service.describe_namespace(DescribeNamespaceRequest(namespace=ns))
    except RPCError as e:
        if e.status == RPCStatusCode.NOT_FOUND:
            raise TemporalUnavailable(
                f"Temporal namespace {ns!r} does not exist at {settings.temporal_address}"
                " (TICKETFLOW_TEMPORAL_NAMESPACE): create it with `ticketflow create-namespace`"
                " on a self-hosted cluster, or in the Temporal Cloud console"
            ) from e
        raise TemporalUnavailable(
            f"Temporal at {settings.temporal_address} refused namespace {ns!r}"
            f" (TICKETFLOW_TEMPORAL_NAMESPACE, TICKETFLOW_TEMPORAL_API_KEY): {e.status.name}: {e.message}"
        ) from e


def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0][:300]
