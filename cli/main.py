"""The `ticketflow` command: dev stack, production processes, migrations, Temporal setup, API keys."""

import asyncio
from pathlib import Path

import typer
import uvicorn
from rich.console import Console

from domain.enums import Category, Kind
from domain.policy import PolicyError
from infra import logs
from infra.settings import Settings, get_settings

app = typer.Typer(help="ticketflow: durable customer-service tickets on Temporal.", no_args_is_help=True)
console = Console(stderr=True)


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
    from worker.worker import run_worker

    _setup_logging()
    settings = get_settings()
    _require(settings.temporal_address, "TICKETFLOW_TEMPORAL_ADDRESS")
    _require(settings.database_url, "TICKETFLOW_DATABASE_URL")
    _require_secret(settings)
    asyncio.run(run_worker(settings))


@app.command()
def api() -> None:
    """Run the HTTP API (uvicorn) against existing Temporal and PostgreSQL."""
    from api.app import create_app

    _setup_logging()
    settings = get_settings()
    _require(settings.temporal_address, "TICKETFLOW_TEMPORAL_ADDRESS")
    _require(settings.database_url, "TICKETFLOW_DATABASE_URL")
    _require_secret(settings)
    # Access lines come from api.request_log, with the ticket number; uvicorn's would repeat them.
    uvicorn.run(
        create_app(settings),
        host=settings.api_host,
        port=settings.api_port,
        log_config=None,
        access_log=False,
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
    console.print(f"registered: {', '.join(added)}" if added else "search attributes already registered")
    console.print(f"schedules: {', '.join(schedules)}")


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
    person) and report its accuracy on a held-out quarter. The API trains the same way at first use and
    again every `classification.retrain_every` (7 days), so this shows what the next retraining gives."""
    from domain.policy import load_policy
    from reading.classifier import TextClassifier, accuracy, held_out, with_desk
    from store.classification_examples import desk_examples
    from store.db import create_pool

    _setup_logging()
    settings = get_settings()
    _require(settings.database_url, "TICKETFLOW_DATABASE_URL")
    policy = load_policy(settings.policy_file)

    async def desk() -> list[tuple[str, Category, Kind]]:
        pool = await create_pool(settings.database_url, max_size=2)
        try:
            return await desk_examples(pool, policy.classification.desk_examples)
        finally:
            await pool.close()

    own = asyncio.run(desk())
    examples = with_desk(own)
    train, test = held_out(examples)
    category, kind = accuracy(TextClassifier(train), test)
    console.print(
        f"{len(examples)} contacts ({len(own)} the desk's own): held-out accuracy"
        f" category {category:.2f}, kind {kind:.2f} on {len(test)}"
    )
