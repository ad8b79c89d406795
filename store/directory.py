"""Teams and members: who works where, in which role, on duty or not, with what capacity."""

import asyncpg
from pydantic import Field, StrictBool

from domain.boundary import Boundary, Email, WholeNumber
from domain.enums import Role

# Where a member's notices are posted: an http(s) URL naming a host (a name or IPv4), so a notice is
# never sent to an address that cannot be delivered to.
_PORT = "(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4})"
WEBHOOK_URL = (
    f"^[hH][tT][tT][pP][sS]?://[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*(:{_PORT})?([/?#][^\\x00-\\x20\\x7f]*)?$"
)


class Team(Boundary):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_-]+$")
    name: str = Field(min_length=1, max_length=200)
    department: str = Field(min_length=1, max_length=64)


class Member(Boundary):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = Field(min_length=1, max_length=200)
    role: Role
    team_id: str | None = None
    department: str | None = None
    on_duty: StrictBool = True
    capacity: WholeNumber = Field(default=10, ge=0, le=1000)
    email: Email | None = None
    webhook_url: str | None = Field(
        default=None, max_length=2_000, pattern=WEBHOOK_URL, description="http(s)://host[:port][/path]"
    )


def member_from_row(row: asyncpg.Record) -> Member:
    """A stored member as written (checked on the way in): a row from before a check, or typed in SQL,
    still reaches the notifier, which names its bad address instead of failing to read it."""
    return Member.model_construct(**{**dict(row), "role": Role(row["role"])})


async def upsert_team(pool: asyncpg.Pool, team: Team) -> None:
    await pool.execute(
        "INSERT INTO teams (id, name, department) VALUES ($1, $2, $3)"
        " ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, department = EXCLUDED.department",
        team.id,
        team.name,
        team.department,
    )


async def upsert_member(pool: asyncpg.Pool, m: Member) -> None:
    await pool.execute(
        "INSERT INTO members (id, name, role, team_id, department, on_duty, capacity, email, webhook_url)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        " ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, role = EXCLUDED.role,"
        " team_id = EXCLUDED.team_id, department = EXCLUDED.department, on_duty = EXCLUDED.on_duty,"
        " capacity = EXCLUDED.capacity, email = EXCLUDED.email, webhook_url = EXCLUDED.webhook_url",
        m.id,
        m.name,
        m.role.value,
        m.team_id,
        m.department,
        m.on_duty,
        m.capacity,
        m.email,
        m.webhook_url,
    )


DEMO_TEAMS = [
    Team(id="frontline", name="一线客服 Frontline", department="service"),
    Team(id="tech", name="技术支持部 Technical support", department="technology"),
    Team(id="logistics", name="物流部 Logistics", department="operations"),
    Team(id="after_sales", name="售后服务 After-sales", department="service"),
    Team(id="finance", name="财务部 Finance", department="operations"),
]


def _demo_members() -> list[Member]:
    members = [
        Member(id="director", name="服务总监 Director", role=Role.DIRECTOR),
        Member(id="head-service", name="客服部经理 Head of service", role=Role.HEAD, department="service"),
        Member(id="head-technology", name="技术部经理", role=Role.HEAD, department="technology"),
        Member(id="head-operations", name="运营部经理", role=Role.HEAD, department="operations"),
    ]
    for team in DEMO_TEAMS:
        members.append(
            Member(id=f"{team.id}-sup", name=f"{team.id} supervisor", role=Role.SUPERVISOR, team_id=team.id)
        )
        members += [
            Member(id=f"{team.id}-{n}", name=f"{team.id} agent {n}", role=Role.AGENT, team_id=team.id)
            for n in (1, 2)
        ]
    return members


async def seed_demo(pool: asyncpg.Pool) -> None:
    """A small directory so a fresh `ticketflow dev` can route and assign tickets; only fills an empty one."""
    if await pool.fetchval("SELECT count(*) FROM teams"):
        return
    for team in DEMO_TEAMS:
        await upsert_team(pool, team)
    for member in _demo_members():
        await upsert_member(pool, member)
