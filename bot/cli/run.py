"""``shelly run``: Telegram (polling or webhook) with a token, the local playground without one.

Both start Shelly through ``bot.runtime.start_shelly``; this module only reads the settings, installs the
signal handlers and turns start-up errors into one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger("bot.run")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mode", choices=["polling", "webhook"], help="override SHELLY_MODE")
    parser.add_argument("--http-port", type=int, help="override SHELLY_HTTP_PORT (webhook/health/metrics)")


def run(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from bot.log_setup import configure_logging
    from bot.settings import Settings, settings_error

    overrides: dict[str, Any] = {}
    if getattr(args, "mode", None):
        overrides["mode"] = args.mode
    if getattr(args, "http_port", None) is not None:
        overrides["http_port"] = args.http_port
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        print(f"shelly: settings: {settings_error(exc)}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    try:
        if settings.telegram_bot_token is None:
            from bot.playground import serve as serve_playground

            print(f"No TELEGRAM_BOT_TOKEN: starting the local playground (port {settings.playground_port})",
                  file=sys.stderr)
            return asyncio.run(serve_playground(settings))
        return asyncio.run(serve(settings))
    except KeyboardInterrupt:
        return 0


async def serve(settings: Settings, stop_event: asyncio.Event | None = None) -> int:
    """Run Shelly on Telegram until SIGINT/SIGTERM (or ``stop_event``); 2 with one line on stderr when she
    cannot start."""
    from bot.runtime import StartupAborted, StartupError, start_shelly, stop_on_signals
    from bot.settings import DEFAULT_PSEUDONYM_SECRET

    if settings.pseudonym_secret.get_secret_value() == DEFAULT_PSEUDONYM_SECRET:
        log.warning("SHELLY_PSEUDONYM_SECRET is the built-in placeholder: anyone with the code can recompute the "
                    "pseudonyms in your statistics. Set a long random secret (docs/deploy.md).")
    stop = stop_event or asyncio.Event()
    with stop_on_signals(stop):
        try:
            async with start_shelly(settings, stop=stop):
                await stop.wait()
        except StartupError as exc:
            print(f"shelly: {exc}", file=sys.stderr)
            return 2
        except StartupAborted:
            log.info("stopped before the Telegram Bot API could be reached")
    return 0
