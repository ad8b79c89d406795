"""A first try's cooling-off: a destination that failed is skipped for a while, others are not, and it is
tried again once the pause is over."""

from activities.channels.quick import CoolingOff, destination


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_failed_webhook_host_cools_off_for_the_pause_and_other_hosts_do_not() -> None:
    clock = Clock()
    cooling = CoolingOff(pause=30.0, clock=clock)
    dead = destination("webhook", "https://hooks.example.com/ticketflow?member=1")
    alive = destination("webhook", "https://other.example.com/hook")
    assert dead == destination("webhook", "https://hooks.example.com/another-member")

    cooling.failed(dead)

    assert cooling.cooling(dead) and not cooling.cooling(alive)
    clock.now += 29.9
    assert cooling.cooling(dead)
    clock.now += 0.1
    assert not cooling.cooling(dead)


def test_every_e_mail_address_shares_the_one_smtp_server() -> None:
    assert destination("email", "a@example.com") == destination("email", "b@elsewhere.org") == "email"
