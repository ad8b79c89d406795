"""Customers as people: one row a person across tickets, found by the integrator's id, phone or e-mail."""

import hashlib
import re
from datetime import datetime

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from pydantic import BaseModel

from domain.enums import Category, Status
from domain.intake import Customer

Connection = asyncpg.Connection | PoolConnectionProxy
_RANK = {"id": 0, "phone": 1, "email": 2}  # the integrator's id is the surest, then phone, then e-mail


def normal_phone(phone: str) -> str:
    """Digits only, without China's country code: +86 138-1234-5678 and 13812345678 are one number."""
    digits = re.sub(r"\D", "", phone)
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 11:
            return digits[len(prefix) :]
    return digits


def identity_keys(c: Customer) -> list[tuple[str, str]]:
    """(kind, digest) of every way to find this customer again; raw values never leave `customers`."""
    values = [("id", c.id), ("phone", normal_phone(c.phone) if c.phone else None)]
    values.append(("email", c.email.strip().lower() if c.email else None))
    return [
        (kind, hashlib.sha256(f"ticketflow-customer\x1f{kind}\x1f{value}".encode()).hexdigest())
        for kind, value in values
        if value
    ]


async def resolve(conn: Connection, c: Customer) -> int:
    """The customer's id, created on first contact; later contacts refresh the contact details given.
    Call inside a transaction: concurrent intakes of one person queue on their keys' locks."""
    keys = identity_keys(c)
    for kind, digest in sorted(keys):
        await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 1))", f"{kind}:{digest}")
    found: int | None = await conn.fetchval(
        "SELECT k.customer_id FROM customer_keys k"
        " JOIN unnest($1::text[], $2::text[], $3::int[]) AS w(kind, digest, rank)"
        " ON k.kind = w.kind AND k.digest = w.digest ORDER BY w.rank LIMIT 1",
        [k for k, _ in keys],
        [d for _, d in keys],
        [_RANK[k] for k, _ in keys],
    )
    preferred = c.preferred_contact.value if c.preferred_contact else None
    if found is None:
        found = await conn.fetchval(
            "INSERT INTO customers (name, phone, email, type, tier, preferred_contact)"
            " VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            c.name,
            c.phone,
            c.email,
            c.type.value,
            c.tier,
            preferred,
        )
    else:
        await conn.execute(
            "UPDATE customers SET name = $2, phone = coalesce($3, phone), email = coalesce($4, email),"
            " type = $5, tier = $6, preferred_contact = coalesce($7, preferred_contact) WHERE id = $1",
            found,
            c.name,
            c.phone,
            c.email,
            c.type.value,
            c.tier,
            preferred,
        )
    await conn.executemany(
        "INSERT INTO customer_keys (kind, digest, customer_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        [(kind, digest, found) for kind, digest in keys],
    )
    assert found is not None
    return found


class EarlierContacts(BaseModel):
    """The customer's tickets of the same category within the repeat window, before this one."""

    count: int
    latest: str | None = None


async def earlier_contacts(
    conn: Connection, customer_id: int, category: Category, since: datetime
) -> EarlierContacts:
    row = await conn.fetchrow(
        "SELECT count(*) AS n, (array_agg(ticket_no ORDER BY created_at DESC))[1] AS latest FROM tickets"
        " WHERE customer_id = $1 AND category = $2 AND created_at >= $3",
        customer_id,
        category.value,
        since,
    )
    assert row is not None
    return EarlierContacts(count=row["n"], latest=row["latest"])


class CustomerTicket(BaseModel):
    """One of a customer's tickets, as a list shows it."""

    ticket_no: str
    category: Category
    status: Status
    created_at: datetime
    closed_at: datetime | None = None
    repeat_count: int = 0


class CustomerRow(BaseModel):
    id: int
    name: str
    phone: str | None = None
    email: str | None = None
    tier: str
    created_at: datetime
    open_tickets: int
    recent_tickets: int


async def get(pool: asyncpg.Pool, customer_id: int, recent_since: datetime) -> CustomerRow | None:
    row = await pool.fetchrow(
        "SELECT c.id, c.name, c.phone, c.email, c.tier, c.created_at,"
        " count(t.ticket_no) FILTER (WHERE t.status <> 'closed') AS open_tickets,"
        " count(t.ticket_no) FILTER (WHERE t.created_at >= $2) AS recent_tickets"
        " FROM customers c LEFT JOIN tickets t ON t.customer_id = c.id WHERE c.id = $1 GROUP BY c.id",
        customer_id,
        recent_since,
    )
    return CustomerRow(**dict(row)) if row else None


async def tickets_of(pool: asyncpg.Pool, customer_id: int, limit: int) -> list[CustomerTicket]:
    rows = await pool.fetch(
        "SELECT ticket_no, category, status, created_at, closed_at, repeat_count FROM tickets"
        " WHERE customer_id = $1 ORDER BY created_at DESC, ticket_no DESC LIMIT $2",
        customer_id,
        limit,
    )
    return [CustomerTicket(**dict(r)) for r in rows]
