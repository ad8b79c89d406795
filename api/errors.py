"""One error shape for every failure: {"error": {"code", "message", "field"}}; bad input is 422, never 500."""

import re
from collections.abc import Sequence
from typing import Any

import asyncpg
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.service import RPCError

log = structlog.get_logger(__name__)


class ErrorBody(BaseModel):
    code: str
    message: str
    field: str | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody


class ApiError(Exception):
    """Raise from a route to answer `status` with the one error shape."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


def error_response(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    body = ErrorResponse(error=ErrorBody(code=code, message=message, field=field))
    return JSONResponse(status_code=status, content=body.model_dump())


def _field(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def _methods_of(request: Request) -> list[str]:
    """The methods the OpenAPI document gives the request's path (what a 405's Allow must list)."""
    methods: set[str] = set()
    for template, item in request.app.openapi().get("paths", {}).items():
        if re.fullmatch(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)), request.url.path):
            methods |= {m.upper() for m in item}
    return sorted(methods)


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.field)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        if first.get("type") == "json_invalid":  # its loc is a character position, not a field
            return error_response(422, "invalid", f"body: not valid JSON ({first.get('msg')})", "body")
        field = _field(first.get("loc", ()))
        return error_response(422, "invalid", f"{field}: {first.get('msg')}", field)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:  # FastAPI's "error parsing the body": not UTF-8, or not JSON at all
            return error_response(422, "invalid", "body: not UTF-8 JSON", "body")
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized", 403: "forbidden"}
        answer = error_response(exc.status_code, code.get(exc.status_code, "error"), str(exc.detail))
        answer.headers.update(exc.headers or {})
        if exc.status_code == 405:  # every method of the path, not only those of the first route matched
            answer.headers["Allow"] = ", ".join(_methods_of(request))
        return answer

    @app.exception_handler(asyncpg.DataError)
    async def _bad_data(_: Request, exc: asyncpg.DataError) -> JSONResponse:
        # Text PostgreSQL cannot store (a NUL character), or a value out of a column's range: bad input.
        return error_response(422, "invalid", f"a value cannot be stored: {exc}"[:300], "body")

    # Every way an unreachable or restarting PostgreSQL shows itself: refused, lost or closed connections,
    # "shutting down / starting up" (operator intervention), a protocol broken mid-way by the restart.
    @app.exception_handler(asyncpg.PostgresConnectionError)
    @app.exception_handler(asyncpg.InternalClientError)
    @app.exception_handler(asyncpg.InterfaceError)
    @app.exception_handler(asyncpg.exceptions.OperatorInterventionError)
    @app.exception_handler(OSError)
    async def _db_down(_: Request, exc: Exception) -> JSONResponse:
        log.warning("database unavailable", error=f"{type(exc).__name__}: {exc}")
        return error_response(503, "unavailable", "the database is unavailable; retry shortly")

    # A Temporal call that failed and was not answered where it was made (an overloaded or restarting
    # server, a signal to the hotspot workflow at intake): the caller's retry finishes the job.
    @app.exception_handler(RPCError)
    async def _engine_down(_: Request, exc: RPCError) -> JSONResponse:
        log.warning("temporal call failed", status=exc.status.name if exc.status else None, error=str(exc))
        return error_response(503, "unavailable", "the ticket engine is not answering; retry shortly")

    # Anything else is our bug: the caller still gets the one error shape, and the log the traceback.
    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error", exc_info=exc)
        return error_response(500, "internal", "an unexpected error; it has been logged")
