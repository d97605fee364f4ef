"""The HTTP stack under python-telegram-bot does no avoidable work per request."""

from __future__ import annotations

import importlib.machinery

import httpcore._synchronization
import pytest


async def test_httpcore_does_not_search_for_a_module_on_every_request(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpcore asks ``import sniffio`` on every request; without the package that is a failed import — a search
    of sys.path — each time (16 % of the main process's busy time under load before sniffio was a dependency)."""
    searches: list[str] = []
    find_spec = importlib.machinery.PathFinder.find_spec

    def counting_find_spec(name: str, *args: object, **kwargs: object) -> object:
        searches.append(name)
        return find_spec(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(importlib.machinery.PathFinder, "find_spec", counting_find_spec)
    for _ in range(5):
        assert httpcore._synchronization.current_async_library() == "asyncio"
    assert searches == []
