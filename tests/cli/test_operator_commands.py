"""Issue 19: an operator's commands, run as the installed `ticketflow` from an empty directory against a
Temporal and a PostgreSQL it did not start; every failure one line naming the setting, never a traceback."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
import pytest
import yaml
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.testing import WorkflowEnvironment

from cli.embedded import EmbeddedPostgres
from domain.policy import load_policy, policy_hash
from infra import search_attributes

TICKETFLOW = str(Path(sys.executable).parent / "ticketflow")


def run(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The command as an operator runs it: only TICKETFLOW_* settings, from `cwd` (no policy.toml there)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("TICKETFLOW_")}
    settings = {f"TICKETFLOW_{k.upper()}": v for k, v in env.items()}
    return subprocess.run(
        [TICKETFLOW, *args], cwd=cwd, env=base | settings, capture_output=True, text=True, timeout=120
    )


def one_line_error(done: subprocess.CompletedProcess[str], *words: str) -> str:
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and 'File "' not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def empty_dir(tmp_path: Path) -> Path:
    assert list(tmp_path.iterdir()) == []
    return tmp_path


async def test_setup_temporal_in_an_empty_directory_uses_the_packaged_policy(
    dev_env: WorkflowEnvironment, empty_dir: Path
) -> None:
    address = dev_env.client.service_client.config.target_host
    namespace = f"ops-{uuid.uuid4().hex[:8]}"

    # A namespace that does not exist: one line, the setting and the command that creates it.
    missing = run(empty_dir, "setup-temporal", temporal_address=address, temporal_namespace=namespace)
    one_line_error(missing, repr(namespace), "TICKETFLOW_TEMPORAL_NAMESPACE", "ticketflow create-namespace")

    created = run(empty_dir, "create-namespace", temporal_address=address, temporal_namespace=namespace)
    assert created.returncode == 0 and f"namespace {namespace}: created" in created.stderr, created.stderr
    again = run(empty_dir, "create-namespace", temporal_address=address, temporal_namespace=namespace)
    assert again.returncode == 0 and "already exists" in again.stderr, again.stderr

    done = run(empty_dir, "setup-temporal", temporal_address=address, temporal_namespace=namespace)
    assert done.returncode == 0, done.stderr
    assert f"policy: {policy_hash(load_policy())}" in done.stderr
    assert "ticketflow-weekly-report" in done.stderr and "ticketflow-retention-purge" in done.stderr
    listed = await dev_env.client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    assert {k.name for k in search_attributes.ALL} <= set(listed.custom_attributes)


def test_an_unreachable_temporal_is_one_line_naming_the_address(empty_dir: Path) -> None:
    done = run(empty_dir, "setup-temporal", temporal_address="127.0.0.1:1")
    one_line_error(done, "127.0.0.1:1", "TICKETFLOW_TEMPORAL_ADDRESS")


def test_policy_check_prints_the_effective_numbers_and_the_hash(empty_dir: Path) -> None:
    shipped = run(empty_dir, "policy", "check")
    assert shipped.returncode == 0, shipped.stderr
    assert "targets.first_response.urgent = PT2H" in shipped.stdout.splitlines()
    assert "teams routed to = after_sales, finance, frontline, logistics, tech" in shipped.stdout
    assert shipped.stdout.strip().splitlines()[-1] == f"hash = {policy_hash(load_policy())}"

    edited = empty_dir / "policy.toml"
    edited.write_text('[targets.first_response]\nurgent = "30m"\nhigh = "4h"\nmedium = "1d"\nlow = "2d"\n')
    mine = run(empty_dir, "policy", "check", str(edited))
    assert "targets.first_response.urgent = PT30M" in mine.stdout.splitlines()
    assert f"hash = {policy_hash(load_policy(edited))}" in mine.stdout
    assert policy_hash(load_policy(edited)) != policy_hash(load_policy())

    edited.write_text('[targets.first_response]\nurgent = "soon"\n')
    one_line_error(run(empty_dir, "policy", "check", str(edited)), "first_response", "TICKETFLOW_POLICY_FILE")
    one_line_error(run(empty_dir, "policy", "check", api_port="eighty"), "TICKETFLOW_API_PORT")


DIRECTORY = {
    "teams": [
        {"id": "frontline", "name": "一线客服", "department": "service"},
        {"id": "tech", "name": "技术支持部", "department": "technology"},
    ],
    "members": [
        {"id": "zhang.wei", "name": "张伟", "role": "agent", "team_id": "frontline", "capacity": 8},
        {"id": "li.na", "name": "李娜", "role": "supervisor", "team_id": "frontline", "on_duty": False},
        {"id": "boss", "name": "服务总监", "role": "director"},
    ],
}


async def test_directory_import_is_idempotent_and_export_round_trips(database: str, empty_dir: Path) -> None:
    source = empty_dir / "directory.yaml"
    source.write_text(yaml.safe_dump(DIRECTORY, allow_unicode=True))

    first = run(empty_dir, "directory", "import", str(source), database_url=database)
    assert first.returncode == 0, first.stderr
    assert "2 teams, 3 members imported" in first.stderr
    # Routing names five teams; the operator hears of the three this directory lacks.
    assert "not in the directory: after_sales, finance, logistics" in first.stderr
    assert run(empty_dir, "directory", "import", str(source), database_url=database).returncode == 0

    conn = await asyncpg.connect(database)
    try:
        assert await conn.fetchval("SELECT count(*) FROM members") == 3
        li = await conn.fetchrow("SELECT on_duty, capacity, team_id FROM members WHERE id = 'li.na'")
        assert li is not None and dict(li) == {"on_duty": False, "capacity": 10, "team_id": "frontline"}
    finally:
        await conn.close()

    exported = run(empty_dir, "directory", "export", database_url=database)
    assert exported.returncode == 0, exported.stderr
    back = yaml.safe_load(exported.stdout)
    assert back["teams"] == DIRECTORY["teams"]
    assert {m["id"]: m["capacity"] for m in back["members"]} == {"boss": 10, "li.na": 10, "zhang.wei": 8}
    out = empty_dir / "again.yaml"
    assert run(empty_dir, "directory", "export", str(out), database_url=database).returncode == 0
    assert run(empty_dir, "directory", "import", str(out), database_url=database).returncode == 0

    # CSV both ways: one table, `kind` telling teams from members.
    as_csv = empty_dir / "directory.csv"
    assert run(empty_dir, "directory", "export", str(as_csv), database_url=database).returncode == 0
    rows = as_csv.read_text().splitlines()
    assert rows[0] == "kind,id,name,department,role,team_id,on_duty,capacity,email,webhook_url"
    assert "member,li.na,李娜,,supervisor,frontline,False,10,," in rows
    as_csv.write_text(
        rows[0] + "\nteam,logistics,物流部,operations\nmember,wang.fang,王芳,,agent,logistics,yes,5,,\n"
    )
    assert run(empty_dir, "directory", "import", str(as_csv), database_url=database).returncode == 0
    conn = await asyncpg.connect(database)
    try:
        wang = await conn.fetchrow("SELECT team_id, on_duty, capacity FROM members WHERE id = 'wang.fang'")
        assert wang is not None and dict(wang) == {"team_id": "logistics", "on_duty": True, "capacity": 5}
    finally:
        await conn.close()

    bad = empty_dir / "bad.yaml"
    bad.write_text(yaml.safe_dump({"members": [{"id": "x", "name": "X", "role": "boss"}]}))
    one_line_error(run(empty_dir, "directory", "import", str(bad), database_url=database), "members.0.role")
    orphan = empty_dir / "orphan.yaml"
    orphan.write_text(
        yaml.safe_dump({"members": [{"id": "x", "name": "X", "role": "agent", "team_id": "ghost"}]})
    )
    one_line_error(run(empty_dir, "directory", "import", str(orphan), database_url=database), "'ghost'")


def test_database_failures_are_one_line_naming_the_setting(
    pg_server: EmbeddedPostgres, empty_dir: Path
) -> None:
    refused = run(empty_dir, "migrate", database_url="postgresql://nobody@127.0.0.1:1/ticketflow")
    one_line_error(refused, "TICKETFLOW_DATABASE_URL")
    no_db = pg_server.uri.replace("/postgres?", "/no_such_db?")
    one_line_error(run(empty_dir, "migrate", database_url=no_db), "no_such_db", "TICKETFLOW_DATABASE_URL")
    one_line_error(run(empty_dir, "migrate"), "TICKETFLOW_DATABASE_URL is not set")


@pytest.mark.slow  # eight process starts, each checking Temporal and the database
async def test_api_and_worker_refuse_to_start_with_one_line(
    dev_env: WorkflowEnvironment, pg_server: EmbeddedPostgres, empty_dir: Path
) -> None:
    name = f"empty_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(pg_server.uri)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    settings = {
        "temporal_address": dev_env.client.service_client.config.target_host,
        "database_url": pg_server.uri.replace("/postgres?", f"/{name}?"),
        "secret_key": "s" * 40,
        "api_port": "1",  # never reached: the checks come first
    }
    for command in ("api", "worker"):
        one_line_error(
            run(empty_dir, command, **settings), "run `ticketflow migrate`", "TICKETFLOW_DATABASE_URL"
        )
        wrong_ns = run(empty_dir, command, **settings, temporal_namespace="nope")
        one_line_error(wrong_ns, "'nope' does not exist", "TICKETFLOW_TEMPORAL_NAMESPACE")
        wrong_policy = run(empty_dir, command, **settings, policy_file=str(empty_dir / "policy.toml"))
        one_line_error(wrong_policy, "does not exist", "TICKETFLOW_POLICY_FILE")
        no_secret = run(empty_dir, command, **{**settings, "secret_key": "change-me"})
        one_line_error(no_secret, "TICKETFLOW_SECRET_KEY")
