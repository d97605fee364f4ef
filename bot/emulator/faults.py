"""Injected faults, queued per Bot API method (or ``"file"`` for downloads) and consumed by requests.

Per request the transport applies, in this order: a *stall* (wait before answering), a *drop* (close
the connection without any answer; the method is not executed), a *fail* (an error answer; not
executed), and after a normal answer a *slow body* (headers at once, body trickled). Each queued fault
applies to the next ``times`` requests of that method.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

Kind = Literal["stall", "drop", "fail", "slow_body"]


@dataclass
class Fault:
    kind: Kind
    times: int
    seconds: float = 0.0  # stall, slow_body
    status: int = 0  # fail
    retry_after: int | None = None  # fail with 429
    description: str | None = None  # fail

    def text(self) -> str:
        if self.description:
            return self.description
        if self.status == 429:
            return f"Too Many Requests: retry after {self.retry_after}"
        if self.status == 502:
            return "Bad Gateway"
        if self.status >= 500:
            return "Internal Server Error"
        return "Bad Request: injected fault"


class FaultPlan:
    def __init__(self) -> None:
        self._queued: dict[tuple[str, Kind], list[Fault]] = defaultdict(list)

    def add(self, method: str, fault: Fault) -> None:
        if fault.times < 1:
            raise ValueError("times must be at least 1")
        self._queued[(method.lower(), fault.kind)].append(fault)

    def take(self, method: str, kind: Kind) -> Fault | None:
        """The fault of this kind for one request of ``method``, if one is queued."""
        queued = self._queued.get((method.lower(), kind))
        if not queued:
            return None
        fault = queued[0]
        fault.times -= 1
        if fault.times <= 0:
            queued.pop(0)
        return fault
