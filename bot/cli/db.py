"""``shelly db upgrade [REV] | downgrade [REV] | current``: manage the statistics schema (Alembic, configured in
code, so it works from any directory). The database is ``DATABASE_URL`` unless ``--database-url`` is given."""

from __future__ import annotations

import argparse
import asyncio

from sqlalchemy.exc import SQLAlchemyError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", help="override DATABASE_URL / SHELLY_DATABASE_URL")
    actions = parser.add_subparsers(dest="action", required=True)
    up = actions.add_parser("upgrade", help="upgrade the schema (default: to the newest revision)")
    up.add_argument("revision", nargs="?", default="head")
    down = actions.add_parser("downgrade", help="downgrade the schema (default: one step; 'base' drops everything)")
    down.add_argument("revision", nargs="?", default="-1")
    actions.add_parser("current", help="show the database's revision and whether it is up to date")


async def _run(url: str, action: str, revision: str | None) -> int:
    from bot.storage import schema
    from bot.storage.engine import create_engine

    engine = create_engine(url)
    try:
        if action == "upgrade":
            await schema.upgrade(engine, revision or "head")
        elif action == "downgrade":
            await schema.downgrade(engine, revision or "-1")
        current, heads = await schema.current_revisions(engine), schema.head_revisions()
    finally:
        await engine.dispose()
    state = "up to date" if current == heads else "out of date: run `shelly db upgrade`"
    shown = ", ".join(sorted(current)) or "(none)"
    print(f"database revision: {shown} — code head: {', '.join(sorted(heads))} ({state})")
    return 0 if action != "current" or current == heads else 1


def run(args: argparse.Namespace) -> int:
    from alembic.util import CommandError

    from bot.settings import get_settings
    from bot.storage.engine import normalise_url

    url = args.database_url or get_settings().database_url
    try:
        return asyncio.run(_run(url, args.action, getattr(args, "revision", None)))
    except CommandError as exc:  # e.g. an unknown revision
        print(f"shelly db {args.action}: {exc}")
        return 2
    except (SQLAlchemyError, OSError) as exc:
        shown = normalise_url(url).render_as_string(hide_password=True)
        print(f"shelly db {args.action}: cannot use the database {shown}: {type(exc).__name__}: {exc}")
        return 2
