"""The directory as a file: `ticketflow directory import/export` of teams and members (YAML or JSON)."""

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


def read(path: Path) -> DirectoryFile:
    """Parse and validate the whole file before anything is written."""
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise DirectoryProblem(f"{path}: {e.strerror}") from e
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


async def export_directory(pool: asyncpg.Pool) -> str:
    """The directory as YAML that `import` takes back unchanged."""
    data = DirectoryFile(teams=await list_teams(pool), members=await list_members(pool))
    text: str = yaml.safe_dump(
        data.model_dump(mode="json", exclude_none=True), allow_unicode=True, sort_keys=False
    )
    return text
