"""Retries of each ticket activity leave exactly one record (events, assignments, capacity, archive)."""

import asyncio
from collections import Counter
from datetime import UTC, datetime

import asyncpg
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.ticket_writes import (
    ArchiveRequest,
    AssignRequest,
    ReleaseRequest,
    StepWrite,
    TicketActivities,
)
from domain.enums import Category, Channel, CustomerType, Kind, Priority, Status
from domain.intake import MaskedCustomer
from domain.notification import Audience, NotifyRequest
from domain.ticket import TicketEvent, TicketView
from infra.settings import Settings
from tests.workflows.helpers import make_crew

NOW = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


async def _view(pool: asyncpg.Pool, ticket_no: str) -> TicketView:
    cid = await pool.fetchval(
        "INSERT INTO customers (name, phone, type, tier)"
        " VALUES ('王五', '13900001111', 'individual', 'standard')"
        " RETURNING id"
    )
    customer = MaskedCustomer(
        customer_id=cid,
        display_name="王*",
        type=CustomerType.INDIVIDUAL,
        tier="standard",
        preferred_contact=Channel.PHONE,
    )
    return TicketView(
        ticket_no=ticket_no,
        status=Status.NEW,
        priority=Priority.MEDIUM,
        kind=Kind.CONSULTATION,
        category=Category.OTHER,
        channel=Channel.PHONE,
        customer=customer,
        opened_at=NOW,
    )


async def test_a_steps_events_retried_are_written_once_and_leave_the_last_state(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    acts, env = TicketActivities(pool, settings), ActivityEnvironment()
    view = await _view(pool, "R2")
    opened = StepWrite(events=[TicketEvent(seq=1, at=NOW, type="opened")], view=view)
    step = StepWrite(
        events=[
            TicketEvent(seq=2, at=NOW, type="feedback", actor="customer", data={"score": 5, "note": "好"}),
            TicketEvent(
                seq=3, at=NOW.replace(microsecond=123456), type="closed", data={"reason": "satisfied"}
            ),
        ],
        view=view.model_copy(update={"status": Status.CLOSED, "event_seq": 3}),
    )
    await env.run(acts.record_step_and_try_notices, opened)
    await env.run(acts.record_step_and_try_notices, step)
    await env.run(acts.record_step_and_try_notices, step)
    rows = await pool.fetch(
        "SELECT seq, type, at, actor, data FROM ticket_events WHERE ticket_no = 'R2' ORDER BY seq"
    )
    assert [(r["seq"], r["type"]) for r in rows] == [(1, "opened"), (2, "feedback"), (3, "closed")]
    # The step's events travel as one JSON array: times, actors and data arrive exactly as sent.
    assert [(r["at"], r["actor"], r["data"]) for r in rows[1:]] == [
        (NOW, "customer", {"score": 5, "note": "好"}),
        (NOW.replace(microsecond=123456), None, {"reason": "satisfied"}),
    ]
    row = await pool.fetchrow("SELECT status, state_seq FROM tickets WHERE ticket_no = 'R2'")
    assert row is not None
    assert (row["status"], row["state_seq"]) == ("closed", 3)
    # An older step retried late does not roll the row back.
    await env.run(acts.record_step_and_try_notices, opened)
    assert await pool.fetchval("SELECT status FROM tickets WHERE ticket_no = 'R2'") == "closed"


async def test_assign_retried_takes_capacity_once_and_release_gives_it_back_once(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    acts, env = TicketActivities(pool, settings), ActivityEnvironment()
    crew = await make_crew(pool, agents=2)
    req = AssignRequest(ticket_no="A1", round=1, team=crew.team)
    a = await env.run(acts.assign, req)
    b = await env.run(acts.assign, req)
    assert a.member_id == b.member_id == crew.agents[0]
    counts = await pool.fetch("SELECT id, open_count FROM members WHERE team_id = $1 ORDER BY id", crew.team)
    assert {r["id"]: r["open_count"] for r in counts}[crew.agents[0]] == 1
    nxt = await env.run(acts.assign, AssignRequest(ticket_no="A2", round=1, team=crew.team))
    assert nxt.member_id == crew.agents[1]  # fewest open tickets
    assert (await env.run(acts.release, ReleaseRequest(ticket_no="A1", round=1))).released
    assert not (await env.run(acts.release, ReleaseRequest(ticket_no="A1", round=1))).released
    assert await pool.fetchval("SELECT open_count FROM members WHERE id = $1", crew.agents[0]) == 0


async def test_assign_to_unknown_team_is_non_retryable_and_names_it(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    acts, env = TicketActivities(pool, settings), ActivityEnvironment()
    with pytest.raises(ApplicationError, match="unknown team 'nope'") as err:
        await env.run(acts.assign, AssignRequest(ticket_no="A3", round=1, team="nope"))
    assert err.value.non_retryable
    # Named, too: the member takes nothing for a team that does not exist.
    crew = await make_crew(pool, agents=1)
    named = AssignRequest(ticket_no="A3", round=1, team="nope", member_id=crew.agents[0])
    with pytest.raises(ApplicationError, match="unknown team 'nope'"):
        await env.run(acts.assign, named)
    assert await pool.fetchval("SELECT open_count FROM members WHERE id = $1", crew.agents[0]) == 0
    assert await pool.fetchval("SELECT count(*) FROM assignments WHERE ticket_no = 'A3'") == 0


async def test_archive_retried_leaves_one_row(pool: asyncpg.Pool, settings: Settings) -> None:
    acts, env = TicketActivities(pool, settings), ActivityEnvironment()
    view = (await _view(pool, "Z1")).model_copy(
        update={"status": Status.CLOSED, "closed_at": NOW, "close_reason": "satisfied"}
    )
    req = ArchiveRequest(view=view, outcomes=[])
    assert (await env.run(acts.archive, req)).written
    assert not (await env.run(acts.archive, req)).written
    assert await pool.fetchval("SELECT count(*) FROM archive WHERE ticket_no = 'Z1'") == 1


async def test_thirty_tickets_assigned_at_the_same_moment_never_overload_anyone(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    """Three agents with room for 4 each: of 30 simultaneous assignments exactly 12 get someone, 4 each,
    the rest queue; the choice is atomic in SQL, so no member ever goes past their capacity."""
    acts, env = TicketActivities(pool, settings), ActivityEnvironment()
    crew = await make_crew(pool, agents=3, capacity=4)
    results = await asyncio.gather(
        *(env.run(acts.assign, AssignRequest(ticket_no=f"C{n}", round=1, team=crew.team)) for n in range(30))
    )
    given = [r.member_id for r in results if r.member_id is not None]
    assert sorted(Counter(given).values()) == [4, 4, 4]
    assert sum(r.member_id is None for r in results) == 18
    rows = await pool.fetch(
        "SELECT id, open_count, capacity FROM members WHERE team_id = $1 AND role = 'agent'", crew.team
    )
    assert all(r["open_count"] == r["capacity"] == 4 for r in rows)
    assigned_rows = await pool.fetchval(
        "SELECT count(*) FROM assignments WHERE team_id = $1 AND member_id IS NOT NULL", crew.team
    )
    assert assigned_rows == 12


async def test_archive_with_the_closing_step_writes_its_events_and_releases_once_when_retried(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    acts, env = TicketActivities(pool, settings), ActivityEnvironment()
    crew = await make_crew(pool, agents=1)
    member = (await env.run(acts.assign, AssignRequest(ticket_no="Z2", round=1, team=crew.team))).member_id
    assert member == crew.agents[0]
    opened = await _view(pool, "Z2")
    await env.run(
        acts.record_step_and_try_notices,
        StepWrite(events=[TicketEvent(seq=1, at=NOW, type="opened")], view=opened),
    )
    closed = opened.model_copy(
        update={"status": Status.CLOSED, "closed_at": NOW, "close_reason": "satisfied", "event_seq": 3}
    )
    last_step = [
        TicketEvent(seq=2, at=NOW, type="feedback", data={"score": 5}),
        TicketEvent(seq=3, at=NOW, type="closed", data={"reason": "satisfied"}),
    ]
    req = ArchiveRequest(view=closed, outcomes=[], events=last_step, release_round=1)
    assert (await env.run(acts.archive, req)).written
    assert not (await env.run(acts.archive, req)).written
    # The archive's timeline holds the events that travelled with it; each is written once.
    record = await pool.fetchval("SELECT record FROM archive WHERE ticket_no = 'Z2'")
    assert [e["type"] for e in record["timeline"]] == ["opened", "feedback", "closed"]
    assert await pool.fetchval("SELECT count(*) FROM ticket_events WHERE ticket_no = 'Z2'") == 3
    assert await pool.fetchval("SELECT status FROM tickets WHERE ticket_no = 'Z2'") == "closed"
    assert await pool.fetchval("SELECT open_count FROM members WHERE id = $1", member) == 0


async def test_a_step_retried_writes_its_events_and_sends_its_notice_once(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    acts, env = TicketActivities(pool, settings), ActivityEnvironment()
    crew = await make_crew(pool, agents=1)
    view = (await _view(pool, "S1")).model_copy(update={"team": crew.team, "assignee": crew.agents[0]})
    notice = NotifyRequest(
        key="S1:2:member:" + crew.agents[0],
        ticket_no="S1",
        audience=Audience.MEMBER,
        member_id=crew.agents[0],
        team=crew.team,
        template="assigned",
        facts={"priority": "medium", "ack_within": "1h"},
    )
    step = StepWrite(
        events=[TicketEvent(seq=1, at=NOW, type="opened"), TicketEvent(seq=2, at=NOW, type="assigned")],
        view=view,
        notices=[notice],
    )
    assert (await env.run(acts.record_step_and_try_notices, step)).retry == []
    assert (await env.run(acts.record_step_and_try_notices, step)).retry == []
    assert await pool.fetchval("SELECT count(*) FROM ticket_events WHERE ticket_no = 'S1'") == 2
    sent = await pool.fetch("SELECT delivered_at FROM notifications WHERE key LIKE 'S1:%'")
    assert len(sent) == 1 and sent[0]["delivered_at"] is not None


async def test_a_named_member_takes_the_round_once_and_an_off_duty_one_is_refused_by_name(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    acts, env = TicketActivities(pool, settings), ActivityEnvironment()
    crew = await make_crew(pool, agents=2)
    to_second = AssignRequest(ticket_no="A4", round=2, team=crew.team, member_id=crew.agents[1])
    assert (await env.run(acts.assign, to_second)).member_id == crew.agents[1]
    assert (await env.run(acts.assign, to_second)).member_id == crew.agents[1]  # a retry
    assert await pool.fetchval("SELECT open_count FROM members WHERE id = $1", crew.agents[1]) == 1
    row = await pool.fetchrow(
        "SELECT member_id, team_id FROM assignments WHERE ticket_no = 'A4' AND round = 2"
    )
    assert row is not None
    assert (row["member_id"], row["team_id"]) == (crew.agents[1], crew.team)
    await pool.execute("UPDATE members SET on_duty = false WHERE id = $1", crew.agents[0])
    off = AssignRequest(ticket_no="A5", round=1, team=crew.team, member_id=crew.agents[0])
    with pytest.raises(ApplicationError, match=f"member '{crew.agents[0]}' is off duty") as err:
        await env.run(acts.assign, off)
    assert err.value.non_retryable
    assert await pool.fetchval("SELECT count(*) FROM assignments WHERE ticket_no = 'A5'") == 0
