"""A circuit breaker for the database: after a failure it remembers "down" for a while, so the callers on a
reply's path answer from memory at once instead of waiting on a dead or frozen server again."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class Breaker:
    """Closed (calls go through) until a call fails; then open for ``open_s`` seconds (calls are refused without
    touching the database); then half-open: the next call is let through as the one probe, and its outcome
    closes or re-opens the breaker. Used from the event loop only."""

    def __init__(self, open_s: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.open_s = open_s
        self._clock = clock
        self._open_until: float | None = None  # None: closed
        self._probing = False
        self.opened = 0  # times the breaker opened, since start (metrics, tests)
        self.refused = 0  # calls answered without the database, since start

    @property
    def closed(self) -> bool:
        return self._open_until is None

    @property
    def retry_in(self) -> float:
        """Seconds until a probe is allowed (0 when closed or due)."""
        return 0.0 if self._open_until is None else max(0.0, self._open_until - self._clock())

    def allow(self) -> bool:
        """May a call use the database now? When the open window is over, exactly one caller gets True (the
        probe) until it reports back."""
        if self._open_until is None:
            return True
        if self._probing or self._clock() < self._open_until:
            self.refused += 1
            return False
        self._probing = True
        return True

    def succeeded(self) -> None:
        if self._open_until is not None:
            log.info("database reachable again: breaker closed")
        self._open_until, self._probing = None, False

    def failed(self) -> None:
        if self._open_until is None:
            self.opened += 1
            log.warning("database unavailable: breaker open, answering from memory for %.0f s", self.open_s)
        self._open_until, self._probing = self._clock() + self.open_s, False

    def abandoned(self) -> None:
        """A call was cancelled by its caller before it could tell: free the probe slot, change nothing else."""
        self._probing = False
