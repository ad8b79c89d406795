"""The OpenAPI document's promise about failures: every status an operation can answer, in the one shape."""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.errors import ErrorResponse
from domain.boundary import NO_NUL

_REF = "#/components/schemas/ErrorResponse"
_WHY = {
    401: "no X-API-Key header, or an unknown or revoked key",
    403: "the key's role may not do this",
    404: "no such resource, or not one the caller may see",
    409: "the ticket's state does not allow this now; the message says why",
    413: "the request body is larger than TICKETFLOW_MAX_BODY_BYTES",
    422: "a field, parameter or body that is not valid; `field` names it",
    503: "PostgreSQL or Temporal is not answering; retry shortly",
}
# Routes that answer before any dependency: liveness, and the readiness probes with their own 503 body.
_PROBES = {"/livez", "/readyz", "/healthz"}


def _statuses(path: str, operation: dict[str, Any]) -> set[int]:
    statuses = {503}
    if operation.get("security"):
        statuses |= {401, 403}
    if operation.get("parameters") or "requestBody" in operation:
        statuses.add(422)
    if "requestBody" in operation:
        statuses.add(413)
    if "{" in path:
        statuses.add(404)
    return statuses


# Where a client finds the identifiers other operations take: (method, path, status) of the answer that
# carries it, the path parameter, and where in the answer it is (OpenAPI links; the fuzzer follows them).
_SOURCES = [
    ("post", "/tickets", "201", "ticket_no", "$response.body#/ticket_no"),
    ("post", "/tickets", "200", "ticket_no", "$response.body#/ticket_no"),
    ("get", "/incidents", "200", "incident_id", "$response.body#/0/id"),
    ("put", "/admin/members", "200", "member_id", "$response.body#/id"),
    ("post", "/corrective-actions", "201", "action_id", "$response.body#/action_id"),
    ("get", "/inspections", "200", "inspection_id", "$response.body#/0/id"),
    ("post", "/scripts", "201", "script_id", "$response.body#/id"),
    ("post", "/kb/articles", "201", "article_id", "$response.body#/id"),
    ("post", "/tickets", "201", "customer_id", "$request.body#/customer/id"),
]


def link_operations(schema: dict[str, Any]) -> dict[str, Any]:
    """Link each answer that carries an identifier to every operation whose path takes it."""
    paths = schema.get("paths", {})
    for method, path, status, param, pointer in _SOURCES:
        answer = paths.get(path, {}).get(method, {}).get("responses", {}).get(status)
        if answer is None:
            continue
        links = answer.setdefault("links", {})
        for target, item in paths.items():
            if "{" + param + "}" not in target:
                continue
            for operation in item.values():
                if "operationId" in operation:
                    links[operation["operationId"]] = {
                        "operationId": operation["operationId"],
                        "parameters": {param: pointer},
                    }
    return schema


_INT64 = 2**63 - 1


def _parameter_limits(schema: dict[str, Any]) -> None:
    """Text parameters never carry NUL and integers fit 64 bits (PostgreSQL refuses both, answered 422)."""
    if schema.get("type") == "string" and not {"pattern", "format", "enum", "const"} & schema.keys():
        schema["pattern"] = NO_NUL
    if schema.get("type") == "integer":
        schema.setdefault("maximum", _INT64)
        schema.setdefault("minimum", -_INT64 - 1)
    for sub in schema.get("anyOf", []):
        _parameter_limits(sub)


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Add each status an operation can answer to its responses (the error model for all of them), and
    replace FastAPI's own validation-error model, which this API never sends."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for path, item in schema.get("paths", {}).items():
        if path in _PROBES:
            continue
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                _parameter_limits(parameter.get("schema", {}))
            responses = operation.setdefault("responses", {})
            for status in sorted(_statuses(path, operation) | {int(s) for s in responses if s.isdigit()}):
                if status < 400:
                    continue
                documented = responses.setdefault(str(status), {"description": _WHY.get(status, "error")})
                if documented.get("description") in (None, "", "Validation Error", "Unprocessable Entity"):
                    documented["description"] = _WHY.get(status, "error")
                content = documented.setdefault("content", {}).setdefault("application/json", {})
                content["schema"] = {"$ref": _REF}
    return schema


def install(app: FastAPI) -> None:
    """Serve the OpenAPI document with every error documented (built once, then cached)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            error = ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}")
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(error.pop("$defs", {}), ErrorResponse=error)
            app.openapi_schema = link_operations(document_errors(schema))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
