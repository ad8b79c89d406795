"""The pure hotspot rule: threshold within the window, product / batch groups, one incident a burst."""

import random
from datetime import UTC, datetime, timedelta

from domain import hotspot_window
from domain.enums import Category
from domain.hotspot_window import HotspotState, TicketOpened
from domain.policy import Hotspot, Policy

T0 = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)
RULE = Hotspot()


def _t(n: int, minutes: float, product: str | None = None, batch: str | None = None) -> TicketOpened:
    return TicketOpened(
        ticket_no=f"202611-{n:06d}",
        category=Category.LOGISTICS,
        product=product,
        order_batch=batch,
        opened_at=T0 + timedelta(minutes=minutes),
        team="logistics",
    )


def _feed(state: HotspotState, tickets: list[TicketOpened]) -> list[hotspot_window.Crossing]:
    out: list[hotspot_window.Crossing] = []
    for t in tickets:
        out.extend(hotspot_window.observe(state, t, RULE)[1])
    return out


def test_four_tickets_do_not_cross_and_the_fifth_within_two_hours_does() -> None:
    state = HotspotState()
    assert _feed(state, [_t(i, i * 20) for i in range(4)]) == []
    crossings = _feed(state, [_t(4, 119)])
    assert len(crossings) == 1
    assert [t.ticket_no for t in crossings[0].tickets] == [f"202611-{i:06d}" for i in range(5)]
    assert crossings[0].team == "logistics"
    assert state.windows == {}


def test_five_tickets_spread_over_three_hours_never_cross() -> None:
    state = HotspotState()
    assert _feed(state, [_t(i, i * 45) for i in range(5)]) == []


def test_products_count_apart_and_a_repeated_signal_counts_once() -> None:
    state = HotspotState()
    tickets = [_t(i, i, product="A" if i % 2 else "B") for i in range(8)]
    assert _feed(state, tickets) == []
    assert _feed(state, [_t(7, 7, product="A")]) == []  # the same ticket again
    crossings = _feed(state, [_t(9, 9, product="A")])
    assert [c.key.id for c in crossings] == ["logistics|product=A"]


def test_a_ticket_counts_with_its_product_and_its_batch() -> None:
    keys = hotspot_window.group_keys(_t(1, 0, product="P", batch="B"))
    assert [k.id for k in keys] == ["logistics|product=P", "logistics|batch=B"]
    assert [k.id for k in hotspot_window.group_keys(_t(1, 0))] == ["logistics"]


def test_open_incident_takes_later_tickets_until_closed() -> None:
    state = HotspotState()
    crossing = _feed(state, [_t(i, i) for i in range(5)])[0]
    hotspot_window.opened(state, crossing, 42)
    joins, crossings = hotspot_window.observe(state, _t(5, 6), RULE)
    assert [j.incident_id for j in joins] == [42] and crossings == []
    hotspot_window.closed(state, 42)
    joins, _ = hotspot_window.observe(state, _t(6, 7), RULE)
    assert joins == [] and state.windows["logistics"][0].ticket_no == "202611-000006"


def test_prune_drops_tickets_outside_every_window() -> None:
    state = HotspotState()
    _feed(state, [_t(0, 0), _t(1, 100)])
    hotspot_window.prune(state, T0 + timedelta(minutes=150), RULE.window)
    assert [t.ticket_no for t in state.windows["logistics"]] == ["202611-000001"]
    hotspot_window.prune(state, T0 + timedelta(hours=5), RULE.window)
    assert state.windows == {}


def test_tickets_arriving_out_of_order_keep_exactly_the_window_a_full_sort_would() -> None:
    """Windows are kept sorted and a ticket is bisected in (a flood counts thousands in one task): the
    result is the window sorting everything again would give, ties in arrival order."""
    rule = Hotspot(threshold=1_000, window=timedelta(minutes=30))
    rng = random.Random(7)
    state = HotspotState()
    seen: list[TicketOpened] = []
    for n in range(600):
        ticket = _t(n, rng.choice([n / 2, n / 2 - rng.uniform(0, 20), float(n // 10)]))
        hotspot_window.observe(state, ticket, rule)
        seen.append(ticket)
        latest = max(t.opened_at for t in seen)
        expected = sorted(
            (t for t in seen if latest - rule.window <= t.opened_at <= latest), key=lambda t: t.opened_at
        )
        assert state.windows[Category.LOGISTICS.value] == expected, n


def test_the_policy_under_test_crosses_at_the_fifth_ticket_within_two_hours_and_not_beyond(
    policy: Policy,
) -> None:
    """Seed 003 (近2小时内有5名用户反馈同一问题) under the policy file's [hotspot], not a code default."""

    def crossings(minutes: list[float]) -> int:
        state = HotspotState()
        return sum(
            len(hotspot_window.observe(state, _t(i, m), policy.hotspot)[1]) for i, m in enumerate(minutes)
        )

    assert crossings([0, 10, 20, 30]) == 0  # four never make a hotspot
    assert crossings([0, 10, 20, 30, 119]) == 1  # the fifth within 2 h does
    assert crossings([0, 10, 20, 30, 121]) == 0  # the fifth after 2 h does not
    assert crossings([0, 30, 60, 90, 121, 149]) == 1  # the window slides: 30 to 149 min holds five
