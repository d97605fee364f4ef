"""Bounded in-memory queue of events waiting to be written (the write-behind buffer).

Used from the event loop only (no locks). When full, the oldest waiting event is dropped and counted: a reply is
never delayed for statistics. Events taken for a write stay counted in ``pending`` until the write succeeds and
go back to the front if it fails.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from bot.storage.types import MoodEvent


class WriteBuffer:
    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("write buffer capacity must be at least 1")
        self.capacity = capacity
        self.dropped = 0  # events lost to a full buffer, since start
        self._waiting: deque[MoodEvent] = deque()
        self._in_flight: list[MoodEvent] = []

    def __len__(self) -> int:
        return len(self._waiting) + len(self._in_flight)

    def put(self, event: MoodEvent) -> int:
        """Append an event; returns how many old events were dropped to make room (0 or 1)."""
        dropped = 0
        if len(self) >= self.capacity and self._waiting:
            self._waiting.popleft()
            dropped = 1
        self._waiting.append(event)
        self.dropped += dropped
        return dropped

    def take(self, limit: int) -> list[MoodEvent]:
        """Move up to ``limit`` of the oldest waiting events in flight and return them."""
        if self._in_flight:
            raise RuntimeError("a batch is already in flight")
        batch = [self._waiting.popleft() for _ in range(min(limit, len(self._waiting)))]
        self._in_flight = batch
        return batch

    def done(self) -> None:
        """The batch in flight was written."""
        self._in_flight = []

    def failed(self) -> int:
        """The batch in flight was not written: put it back in front; returns events dropped to fit."""
        self._waiting.extendleft(reversed(self._in_flight))
        self._in_flight = []
        dropped = 0
        while len(self._waiting) > self.capacity:
            self._waiting.popleft()
            dropped += 1
        self.dropped += dropped
        return dropped

    def spill(self, keep: int) -> list[MoodEvent]:
        """Remove and return the oldest waiting events beyond the newest ``keep`` (never the batch in flight)."""
        return [self._waiting.popleft() for _ in range(max(0, len(self._waiting) - keep))]

    def remove_if(self, predicate: Callable[[MoodEvent], bool]) -> int:
        """Drop matching events (waiting and in flight, so a forgotten user's batch is not written)."""
        before = len(self)
        self._waiting = deque(e for e in self._waiting if not predicate(e))
        self._in_flight = [e for e in self._in_flight if not predicate(e)]
        return before - len(self)

    def matching(self, predicate: Callable[[MoodEvent], bool]) -> list[MoodEvent]:
        return [e for e in (*self._in_flight, *self._waiting) if predicate(e)]
