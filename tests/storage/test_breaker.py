"""The circuit breaker's states, on a clock the test moves."""

from __future__ import annotations

from bot.storage.breaker import Breaker
from tests.clock import Clock


def test_open_then_one_probe_then_closed() -> None:
    clock = Clock(100.0)
    breaker = Breaker(10.0, clock=clock)
    assert breaker.allow() and breaker.closed
    breaker.failed()
    assert not breaker.closed and breaker.opened == 1 and breaker.retry_in == 10.0
    assert not breaker.allow() and breaker.refused == 1
    clock.now += 10.0
    assert breaker.allow()  # the probe
    assert not breaker.allow()  # everyone else waits for its outcome
    breaker.failed()  # the probe failed: open again for a full window
    assert breaker.retry_in == 10.0 and breaker.opened == 1
    clock.now += 10.0
    assert breaker.allow()
    breaker.succeeded()
    assert breaker.closed and breaker.allow() and breaker.allow()


def test_a_cancelled_probe_frees_the_slot() -> None:
    clock = Clock(100.0)
    breaker = Breaker(1.0, clock=clock)
    breaker.failed()
    clock.now += 1.0
    assert breaker.allow()
    breaker.abandoned()
    assert breaker.allow() and not breaker.closed
