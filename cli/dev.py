"""`ticketflow dev`: the whole stack in one command, on embedded servers unless told of existing ones."""

import asyncio
import contextlib
import secrets
import signal
from collections.abc import Iterator

import structlog
import uvicorn
from pydantic import SecretStr

from api.app import KEEP_ALIVE_S, create_app
from cli.embedded import EmbeddedPostgres, TemporalDevServer, start_postgres, start_temporal
from cli.schedules import ensure_schedules
from domain.enums import ApiRole
from domain.policy import load_policy
from infra.settings import Settings
from infra.temporal_client import connect
from store import directory
from store.api_keys import NewApiKey, create_api_key
from store.db import create_pool, migrate
from worker.worker import workers

log = structlog.get_logger(__name__)


class _Server(uvicorn.Server):
    # The stack owns SIGINT/SIGTERM and stops every part in order; uvicorn must not take them.
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _secret(settings: Settings) -> SecretStr:
    if settings.secret_key.get_secret_value():
        return settings.secret_key
    path = settings.data_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return SecretStr(path.read_text().strip())


async def run_dev(settings: Settings) -> None:
    load_policy(settings.policy_file)  # a bad policy stops start-up before anything is started
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    temporal: TemporalDevServer | None = None
    postgres: EmbeddedPostgres | None = None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        if not settings.temporal_address:
            temporal = await asyncio.to_thread(
                start_temporal,
                settings.data_dir / "temporal.db",
                settings.temporal_port,
                settings.temporal_ui_port,
                settings.data_dir / "temporal.log",
            )
            settings = settings.model_copy(update={"temporal_address": temporal.address})
        if not settings.database_url:
            postgres = await asyncio.to_thread(start_postgres, settings.data_dir / "pg")
            settings = settings.model_copy(update={"database_url": postgres.uri})
        settings = settings.model_copy(update={"secret_key": _secret(settings)})
        await migrate(settings.database_url)
        await _seed_demo(settings)
        await _serve(settings, stop)
    finally:
        if temporal is not None:
            await asyncio.to_thread(temporal.stop)
        if postgres is not None:
            await asyncio.to_thread(postgres.stop)
        log.info("stack stopped")


_DEMO_KEYS = (
    ("admin", NewApiKey(role=ApiRole.ADMIN, label="demo admin")),
    ("integrator", NewApiKey(role=ApiRole.INTEGRATOR, label="demo integrator")),
    ("supervisor frontline-sup", NewApiKey(role=ApiRole.SUPERVISOR, member_id="frontline-sup", label="demo")),
    ("agent frontline-1", NewApiKey(role=ApiRole.AGENT, member_id="frontline-1", label="demo")),
)


async def _seed_demo(settings: Settings) -> None:
    """On the first run: the demo directory, and one API key a role written to `<data_dir>/demo-keys.txt`
    (keys are stored hashed, so this file is the only place a newcomer can read them back)."""
    keys_file = settings.data_dir / "demo-keys.txt"
    pool = await create_pool(settings.database_url, max_size=2)
    try:
        await directory.seed_demo(pool)
        if keys_file.exists() or await pool.fetchval("SELECT count(*) FROM api_keys"):
            return
        lines = [f"{who:26} {(await create_api_key(pool, new)).key}" for who, new in _DEMO_KEYS]
    finally:
        await pool.close()
    keys_file.write_text("\n".join(lines) + "\n")
    keys_file.chmod(0o600)


async def _serve(settings: Settings, stop: asyncio.Event) -> None:
    client = await connect(settings)
    await ensure_schedules(client, settings)
    pool = await create_pool(settings.database_url, max_size=20)
    try:
        app = create_app(settings, client=client, pool=pool)
        server = _Server(
            uvicorn.Config(
                app,
                host=settings.api_host,
                port=settings.api_port,
                log_config=None,
                access_log=False,  # api.request_log writes them, with the ticket number
                lifespan="on",
                timeout_keep_alive=KEEP_ALIVE_S,
            )
        )
        async with workers(client, pool, settings):
            serving = asyncio.create_task(server.serve())
            # uvicorn exposes readiness only as a flag, so poll it briefly.
            while not server.started and not serving.done():  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            if server.started:
                ui = f"http://127.0.0.1:{settings.temporal_ui_port}" if settings.temporal_ui_port else "-"
                print(
                    "\nticketflow is running\n"
                    f"  API      {settings.base_url()}   (OpenAPI: {settings.base_url()}/docs)\n"
                    f"  Temporal {settings.temporal_address}   (UI: {ui})\n"
                    f"  API keys for trying it: {settings.data_dir / 'demo-keys.txt'} (header X-API-Key)\n"
                    "  Ctrl-C stops everything.\n",
                    flush=True,
                )
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
            server.should_exit = True
            await serving
            stopping.cancel()
    finally:
        await pool.close()
