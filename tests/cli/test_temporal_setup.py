"""`ticketflow setup-temporal` registers our search attributes on an existing cluster, idempotently."""

from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.testing import WorkflowEnvironment

from cli.embedded import temporal_cli
from cli.temporal_setup import register_search_attributes
from infra import search_attributes
from infra.settings import Settings


async def test_setup_temporal_registers_every_attribute_once() -> None:
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=temporal_cli())
    try:
        config = env.client.service_client.config
        settings = Settings(temporal_address=config.target_host)
        names = sorted(key.name for key in search_attributes.ALL)

        assert await register_search_attributes(settings) == names
        assert await register_search_attributes(settings) == []

        listed = await env.client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace="default")
        )
        for key in search_attributes.ALL:
            assert listed.custom_attributes[key.name] == int(key.indexed_value_type)
    finally:
        await env.shutdown()
