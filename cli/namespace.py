"""Creating the deployment's Temporal namespace on a self-hosted or dev cluster (Cloud: its console)."""

from datetime import timedelta

from google.protobuf.duration_pb2 import Duration
from temporalio.api.workflowservice.v1 import RegisterNamespaceRequest
from temporalio.service import RPCError, RPCStatusCode

from infra.settings import Settings
from infra.temporal_client import connect


async def create_namespace(settings: Settings) -> bool:
    """Register TICKETFLOW_TEMPORAL_NAMESPACE with the retention setting; False when it already existed."""
    client = await connect(settings, check_namespace=False)
    retention = Duration()
    retention.FromTimedelta(timedelta(days=settings.temporal_namespace_retention_days))
    try:
        await client.workflow_service.register_namespace(
            RegisterNamespaceRequest(
                namespace=settings.temporal_namespace,
                workflow_execution_retention_period=retention,
                description="ticketflow: one workflow per customer-service ticket",
            )
        )
    except RPCError as e:
        if e.status == RPCStatusCode.ALREADY_EXISTS:
            return False
        raise
    return True
