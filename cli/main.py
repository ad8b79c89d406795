"""The `ticketflow` command: dev stack, production processes, migrations, Temporal setup, API keys."""

import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

import asyncpg
import typer
import uvicorn
from rich.console import Console

from domain.enums import Category, Kind
from domain.policy import PolicyError, load_policy, policy_hash
from infra import logs
from infra.settings import Settings, get_settings

console = Console(stderr=True, soft_wrap=True)


class _Commands(typer.Typer):
    """The command tree; a failure it knows prints one line naming the setting (cli/errors.py)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from cli.errors import explain

        try:
            return super().__call__(*args, **kwargs)
        except Exception as e:
            line = explain(e)
            if line is None and logging.getLogger().isEnabledFor(logging.DEBUG):
                raise
            console.print(
                line or f"unexpected {type(e).__name__}: {e} (TICKETFLOW_LOG_LEVEL=DEBUG shows where)",
                style="red",
                markup=False,
                highlight=False,
            )
            sys.exit(2 if line else 1)


app = _Commands(
    help="ticketflow: durable customer-service tickets on Temporal.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _setup_logging() -> None:
    settings = get_settings()
    logs.configure(settings.log_level, settings.log_format)


@app.command()
def dev() -> None:
    """Start everything: embedded Temporal (UI :8233) and PostgreSQL, migrations, demo data, worker, API."""
    from cli.dev import run_dev

    _setup_logging()
    try:
        asyncio.run(run_dev(get_settings()))
    except PolicyError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from None


@app.command()
def worker() -> None:
    """Run a Temporal worker against TICKETFLOW_TEMPORAL_ADDRESS and TICKETFLOW_DATABASE_URL."""
    from cli.preflight import preflight
    from worker.worker import run_worker

    _setup_logging()
    settings = get_settings()
    _require(settings.temporal_address, "TICKETFLOW_TEMPORAL_ADDRESS")
    _require(settings.database_url, "TICKETFLOW_DATABASE_URL")
    _require_secret(settings)
    asyncio.run(preflight(settings))
    _warn_without_public_url(settings)
    asyncio.run(run_worker(settings))


@app.command()
def api() -> None:
    """Run the HTTP API (uvicorn) against existing Temporal and PostgreSQL."""
    from api.app import KEEP_ALIVE_S, create_app
    from cli.preflight import preflight

    _setup_logging()
    settings = get_settings()
    _require(settings.temporal_address, "TICKETFLOW_TEMPORAL_ADDRESS")
    _require(settings.database_url, "TICKETFLOW_DATABASE_URL")
    _require_secret(settings)
    # Checked before uvicorn, which would print the lifespan's failure as a traceback and exit 3.
    policy = asyncio.run(preflight(settings))
    _warn_without_public_url(settings)
    # Access lines come from api.request_log, with the ticket number; uvicorn's would repeat them.
    uvicorn.run(
        create_app(settings, policy=policy),
        host=settings.api_host,
        port=settings.api_port,
        log_config=None,
        access_log=False,
        timeout_keep_alive=KEEP_ALIVE_S,
    )


@app.command()
def migrate() -> None:
    """Apply the database migrations not yet applied (safe to run from several processes at once)."""
    from store.db import migrate as run

    _setup_logging()
    settings = get_settings()
    _require(settings.database_url, "TICKETFLOW_DATABASE_URL")
    applied = asyncio.run(run(settings.database_url))
    console.print(f"applied: {', '.join(applied)}" if applied else "database is up to date")


@app.command("setup-temporal")
def setup_temporal() -> None:
    """Register the search attributes and the schedules (purge, weekly report) on a cluster (idempotent)."""
    from cli.schedules import ensure_schedules
    from cli.temporal_setup import register_search_attributes
    from infra.temporal_client import connect

    _setup_logging()
    settings = get_settings()
    _require(settings.temporal_address, "TICKETFLOW_TEMPORAL_ADDRESS")

    async def run() -> tuple[list[str], list[str]]:
        added = await register_search_attributes(settings)
        return added, await ensure_schedules(await connect(settings), settings)

    added, schedules = asyncio.run(run())
    console.print(f"policy: {policy_hash(load_policy(settings.policy_file))}")
    console.print(f"registered: {', '.join(added)}" if added else "search attributes already registered")
    console.print(f"schedules: {', '.join(schedules)}")


@app.command("create-namespace")
def create_namespace() -> None:
    """Create TICKETFLOW_TEMPORAL_NAMESPACE on a self-hosted or dev cluster, keeping closed tickets'
    histories TICKETFLOW_TEMPORAL_NAMESPACE_RETENTION_DAYS (idempotent; Temporal Cloud: its console)."""
    from cli.namespace import create_namespace as run

    _setup_logging()
    settings = get_settings()
    _require(settings.temporal_address, "TICKETFLOW_TEMPORAL_ADDRESS")
    created = asyncio.run(run(settings))
    state = "created" if created else "already exists"
    console.print(f"namespace {settings.temporal_namespace}: {state}")


@app.command("worker-ready")
def worker_ready(
    identity: str | None = typer.Option(None, help="a worker's identity; default: any worker of this host"),
) -> None:
    """Exit 0 when this host's worker polls every queue (Temporal says so), else 1 naming the queues."""
    from cli.worker_probe import expected, polling

    settings = get_settings()
    _require(settings.temporal_address, "TICKETFLOW_TEMPORAL_ADDRESS")
    found = asyncio.run(polling(settings, identity))
    missing = [q for q in expected(settings) if q not in found]
    if missing:
        console.print(f"[red]no worker of this host polls: {', '.join(missing)}[/red]")
        raise typer.Exit(1)
    console.print(f"ready: {', '.join(sorted({i for ids in found.values() for i in ids}))}")


policy_app = typer.Typer(help="The service policy.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")


@policy_app.command("check")
def policy_check(
    file: Path | None = typer.Argument(None, help="default: TICKETFLOW_POLICY_FILE, else the shipped policy"),
) -> None:
    """Validate a policy file and print every number the processes would use, and its hash."""
    from cli.policy_check import effective_numbers
    from domain.policy import SHIPPED_POLICY, load_policy

    path = file or get_settings().policy_file or SHIPPED_POLICY
    lines = effective_numbers(load_policy(path))
    console.print(f"{path}: valid")
    print("\n".join(lines))


directory_app = typer.Typer(
    help="Teams and members (the directory routing assigns from).", no_args_is_help=True
)
app.add_typer(directory_app, name="directory")


@directory_app.command("import")
def directory_import(
    file: Path = typer.Argument(..., help="YAML (or JSON) with `teams:` and `members:`"),
) -> None:
    """Create or update the teams and members in FILE (idempotent); warn of teams the policy routes to
    that the directory lacks."""
    from cli.directory_file import import_directory, read
    from domain.policy import load_policy, routed_teams
    from store.directory_reads import list_teams

    _setup_logging()
    settings = get_settings()
    _require(settings.database_url, "TICKETFLOW_DATABASE_URL")
    directory = read(file)
    policy = load_policy(settings.policy_file)

    async def run() -> tuple[tuple[int, int], set[str]]:
        pool = await _pool(settings)
        try:
            counts = await import_directory(pool, directory)
            return counts, {t.id for t in await list_teams(pool)}
        finally:
            await pool.close()

    (teams, members), known = asyncio.run(run())
    console.print(f"{file}: {teams} teams, {members} members imported")
    lacking = [t for t in routed_teams(policy) if t not in known]
    if lacking:
        console.print(
            f"[yellow]the policy routes to teams not in the directory: {', '.join(lacking)}[/yellow]"
        )


@directory_app.command("export")
def directory_export(
    file: Path | None = typer.Argument(
        None, help="where to write (FILE.csv: as CSV); default: standard output"
    ),
) -> None:
    """Write the teams and members as YAML (or CSV) that `directory import` takes back."""
    from cli.directory_file import export_directory

    _setup_logging()
    settings = get_settings()
    _require(settings.database_url, "TICKETFLOW_DATABASE_URL")

    async def run() -> str:
        pool = await _pool(settings)
        try:
            return await export_directory(pool, as_csv=file is not None and file.suffix.lower() == ".csv")
        finally:
            await pool.close()

    text = asyncio.run(run())
    if file is None:
        print(text, end="")
    else:
        file.write_text(text, encoding="utf-8")
        console.print(f"directory written to {file}")


async def _pool(settings: Settings) -> "asyncpg.Pool":
    from store.db import create_pool

    return await create_pool(settings.database_url, max_size=1)


@app.command("create-api-key")
def create_api_key(
    role: str = typer.Option(..., help="integrator, agent, supervisor, head, director or admin"),
    member: str | None = typer.Option(None, help="member id the key acts for (agents and supervisors)"),
    channel: str | None = typer.Option(None, help="the one channel an integrator key serves"),
    label: str = typer.Option("", help="a note saying whose key this is"),
) -> None:
    """Issue an API key and print it once: only its SHA-256 hash is stored."""
    import asyncpg
    from pydantic import ValidationError

    from store.api_keys import NewApiKey, RoleTooHigh
    from store.api_keys import create_api_key as issue
    from store.db import create_pool

    _setup_logging()
    settings = get_settings()
    _require(settings.database_url, "TICKETFLOW_DATABASE_URL")
    try:
        fields = {"role": role, "member_id": member, "channel": channel, "label": label}
        new = NewApiKey.model_validate(fields)
    except ValidationError as e:
        first = e.errors()[0]
        console.print(f"[red]{'.'.join(str(p) for p in first['loc'])}: {first['msg']}[/red]")
        raise typer.Exit(2) from None

    async def run() -> str:
        pool = await create_pool(settings.database_url, max_size=1)
        try:
            return (await issue(pool, new)).key
        finally:
            await pool.close()

    try:
        key = asyncio.run(run())
    except asyncpg.ForeignKeyViolationError:
        console.print(f"[red]no member {member}[/red]")
        raise typer.Exit(2) from None
    except RoleTooHigh as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from None
    console.print(f"{role} key (shown once; store it now):")
    print(key)


histories_app = typer.Typer(help="Workflow histories for the replay tests.", no_args_is_help=True)
app.add_typer(histories_app, name="histories")


@histories_app.command("export")
def histories_export(
    into: Path = typer.Argument(..., metavar="DIR", help="where to write one JSON file per execution"),
    query: str = typer.Option(
        'WorkflowType = "TicketWorkflow" AND ExecutionStatus = "Completed"',
        help="a visibility query choosing the executions",
    ),
    limit: int = typer.Option(100, min=1, help="at most this many executions"),
) -> None:
    """Export histories from the cluster, so the replay tests prove new code still replays them."""
    from temporalio.service import RPCError

    from cli.histories import fetch, write
    from infra.temporal_client import connect

    _setup_logging()
    settings = get_settings()
    _require(settings.temporal_address, "TICKETFLOW_TEMPORAL_ADDRESS")

    async def run() -> list[Path]:
        return write(await fetch(await connect(settings), query, limit), into)

    try:
        written = asyncio.run(run())
    except (RPCError, RuntimeError, OSError) as e:
        console.print(f"[red]histories export: {e}[/red]")
        raise typer.Exit(2) from None
    console.print(f"{len(written)} histories written to {into}")


calendar_app = typer.Typer(help="Business calendars in the policy file.", no_args_is_help=True)
app.add_typer(calendar_app, name="calendar")


@calendar_app.command("import")
def calendar_import(
    year: int = typer.Option(..., help="the year whose holidays and make-up workdays to refresh"),
    calendar: str = typer.Option("cn-business", help="the [calendars.NAME] section to write"),
    policy_file: Path | None = typer.Option(None, "--policy", help="default: TICKETFLOW_POLICY_FILE"),
) -> None:
    """Refresh one year of China's holidays and make-up workdays (调休) in the policy file.

    Needs the optional `holidays` package (`pip install 'ticketflow[calendar]'`). Tickets already open keep
    the calendar they were opened with; new tickets get the refreshed one.
    """
    from cli.calendar_import import ImportProblem, import_year
    from domain.policy import SHIPPED_POLICY

    path = policy_file or get_settings().policy_file or SHIPPED_POLICY
    try:
        off, makeup = import_year(Path(path), year, calendar)
    except (ImportProblem, ValueError, OSError) as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from None
    console.print(f"{path}: [calendars.{calendar}] {year}: {off} days off, {makeup} make-up workdays")


def _warn_without_public_url(settings: Settings) -> None:
    # Workers write the links customers get, so they need the public address as much as the API does.
    if not settings.public_url:
        where = settings.base_url()
        console.print(
            f"[yellow]TICKETFLOW_PUBLIC_URL is not set: links sent to customers point at {where}[/yellow]"
        )


def _require_secret(settings: Settings) -> None:
    problem = settings.secret_problem()
    if problem is not None:
        console.print(f"[red]{problem}[/red]")
        raise typer.Exit(2)


def _require(value: str, name: str) -> None:
    if not value:
        console.print(f"[red]{name} is not set[/red] (or use `ticketflow dev` for embedded servers)")
        raise typer.Exit(2)


classifier_app = typer.Typer(help="The intake classifier (issue 21).", no_args_is_help=True)
app.add_typer(classifier_app, name="classifier")


@classifier_app.command("train")
def classifier_train() -> None:
    """Train the intake classifier on the shipped contacts and the desk's own (filed or corrected by a
    person), report its accuracy on a held-out quarter, and store it: every API process sorts with it within
    a minute. The schedule `ticketflow-classifier-training` does the same every `classification.retrain_every`
    (7 days)."""
    from activities.classifier import train_and_store
    from reading.classifier import TextClassifier, accuracy, held_out, with_desk
    from store.classification_examples import desk_examples
    from store.db import create_pool

    _setup_logging()
    settings = get_settings()
    _require(settings.database_url, "TICKETFLOW_DATABASE_URL")
    policy = load_policy(settings.policy_file)

    async def run() -> tuple[int, list[tuple[str, Category, Kind]]]:
        pool = await create_pool(settings.database_url, max_size=2)
        try:
            own = await desk_examples(pool, policy.classification.desk_examples)
            stored = await train_and_store(pool, policy.classification.desk_examples, "cli")
            return stored.model_id, own
        finally:
            await pool.close()

    model_id, own = asyncio.run(run())
    examples = with_desk(own)
    train, test = held_out(examples)
    category, kind = accuracy(TextClassifier(train), test)
    console.print(
        f"{len(examples)} contacts ({len(own)} the desk's own): held-out accuracy"
        f" category {category:.2f}, kind {kind:.2f} on {len(test)}; stored as model {model_id}"
    )
