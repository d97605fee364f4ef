"""Shelly's local playground: the real bot, talking to the repo's Bot API emulator, with a small chat page
on http://127.0.0.1:<playground_port> (loopback only). ``shelly run`` starts it when no Telegram token is set.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.playground.server import Playground

__all__ = ["Playground", "serve"]


def __getattr__(name: str) -> Any:  # keep ``import bot.playground`` cheap; aiohttp/PTB load on use
    if name in ("Playground", "serve"):
        from bot.playground import server

        return getattr(server, name)
    raise AttributeError(name)
