"""The directory as a file: `ticketflow directory import/export` of teams and members (YAML, JSON or CSV)."""

import csv
import io
import json
from pathlib import Path
from typing import Any

import asyncpg
import yaml
from pydantic import BaseModel, ValidationError

from store.directory import Member, Team, upsert_member, upsert_team
from store.directory_reads import list_members, list_teams


class DirectoryFile(BaseModel):
    teams: list[Team] = []
    members: list[Member] = []


class DirectoryProblem(ValueError):
    """A directory file that cannot be imported; the message names the file and the entry."""


# A CSV directory is one table: `kind` says whether a row is a team or a member; empty cells are left out.
CSV_COLUMNS = [
    "kind",
    "id",
    "name",
    "department",
    "role",
    "team_id",
    "on_duty",
    "capacity",
    "email",
    "webhook_url",
]
_BOOLEANS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def _from_csv(text: str) -> dict[str, list[dict[str, Any]]]:
    raw: dict[str, list[dict[str, Any]]] = {"teams": [], "members": []}
    for row in csv.DictReader(io.StringIO(text)):
        entry: dict[str, Any] = {
            k: v.strip() for k, v in row.items() if k and k != "kind" and v and v.strip()
        }
        if "on_duty" in entry:
            entry["on_duty"] = _BOOLEANS.get(entry["on_duty"].lower(), entry["on_duty"])
        if entry.get("capacity", "").isdigit():
            entry["capacity"] = int(entry["capacity"])
        raw["teams" if (row.get("kind") or "").strip() == "team" else "members"].append(entry)
    return raw


def read(path: Path) -> DirectoryFile:
    """Parse and validate the whole file before anything is written."""
    try:
        text = path.read_text(encoding="utf-8")
        raw: Any = _from_csv(text) if path.suffix.lower() == ".csv" else yaml.safe_load(text)
    except OSError as e:
        raise DirectoryProblem(f"{path}: {e.strerror}") from e
    except csv.Error as e:
        raise DirectoryProblem(f"{path} is not valid CSV: {e}") from e
    except yaml.YAMLError as e:
        raise DirectoryProblem(f"{path} is not valid YAML: {str(e).splitlines()[0]}") from e
    if not isinstance(raw, dict):
        raise DirectoryProblem(f"{path}: expected `teams:` and `members:` lists")
    try:
        # Through JSON, so the strict models take roles and booleans as a file writes them.
        return DirectoryFile.model_validate_json(json.dumps(raw, default=str))
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise DirectoryProblem(f"{path}: {where}: {first['msg']}") from e


async def import_directory(pool: asyncpg.Pool, directory: DirectoryFile) -> tuple[int, int]:
    """Create or update every team, then every member (idempotent); the counts."""
    known = {t.id for t in directory.teams} | {t.id for t in await list_teams(pool)}
    for m in directory.members:
        if m.team_id is not None and m.team_id not in known:
            raise DirectoryProblem(
                f"member {m.id}: team {m.team_id!r} is neither in the file nor the directory"
            )
    for team in directory.teams:
        await upsert_team(pool, team)
    for member in directory.members:
        await upsert_member(pool, member)
    return len(directory.teams), len(directory.members)


async def export_directory(pool: asyncpg.Pool, as_csv: bool = False) -> str:
    """The directory as YAML (or CSV) that `import` takes back unchanged."""
    data = DirectoryFile(teams=await list_teams(pool), members=await list_members(pool))
    if as_csv:
        out = io.StringIO()
        writer = csv.DictWriter(out, CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for team in data.teams:
            writer.writerow({"kind": "team", **team.model_dump(mode="json")})
        for member in data.members:
            writer.writerow({"kind": "member", **member.model_dump(mode="json", exclude_none=True)})
        return out.getvalue()
    text: str = yaml.safe_dump(
        data.model_dump(mode="json", exclude_none=True), allow_unicode=True, sort_keys=False
    )
    return text
