"""Registering our search attributes on an existing cluster; adds only the missing ones."""

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest

from infra import search_attributes
from infra.settings import Settings
from infra.temporal_client import connect


async def register_search_attributes(settings: Settings) -> list[str]:
    client = await connect(settings)
    ns = settings.temporal_namespace
    existing = await client.operator_service.list_search_attributes(ListSearchAttributesRequest(namespace=ns))
    missing = {
        key.name: IndexedValueType.ValueType(key.indexed_value_type)
        for key in search_attributes.ALL
        if key.name not in existing.custom_attributes
    }
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=ns, search_attributes=missing)
        )
    return sorted(missing)
