"""Alembic, configured in code so ``shelly db`` and the bot work from any working directory.

Migrations run on a connection we hand to ``migrations/env.py`` (``config.attributes["connection"]``), so the
same code path serves the CLI (``asyncio.run``) and the bot's start-up (already inside an event loop).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, Connection
from sqlalchemy.ext.asyncio import AsyncEngine

import migrations
from bot.storage.errors import SchemaOutOfDate

# __path__, not __file__: an editable install made before migrations/ had an __init__.py maps it as a namespace.
MIGRATIONS_DIR = next(Path(p) for p in migrations.__path__ if (Path(p) / "env.py").is_file())
UPGRADE_HINT = "run `shelly db upgrade` (or set SHELLY_AUTO_MIGRATE=1)"


def alembic_config(url: str | URL | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        # Kept out of the ini options (which %-interpolate); env.py reads it when no connection is given.
        config.attributes["url"] = str(url) if isinstance(url, str) else url.render_as_string(hide_password=False)
    return config


def head_revisions() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def _current_sync(connection: Connection) -> set[str]:
    return set(MigrationContext.configure(connection).get_current_heads())


async def current_revisions(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return await conn.run_sync(_current_sync)


async def check_schema(engine: AsyncEngine) -> None:
    """Raise ``SchemaOutOfDate`` unless the database is exactly at the migrations' head."""
    current, heads = await current_revisions(engine), head_revisions()
    if current == heads:
        return
    if not current:
        raise SchemaOutOfDate(f"The database has no Shelly schema yet: {UPGRADE_HINT}.")
    known = {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if not current <= known:
        raise SchemaOutOfDate(
            f"The database schema ({', '.join(sorted(current))}) is newer than this version of Shelly "
            f"({', '.join(sorted(heads))}): upgrade Shelly, or downgrade the database with `shelly db downgrade`."
        )
    raise SchemaOutOfDate(
        f"The database schema is out of date ({', '.join(sorted(current))}, code needs "
        f"{', '.join(sorted(heads))}): {UPGRADE_HINT}."
    )


def _run_with_connection(action: Callable[[Config], None]) -> Callable[[Connection], None]:
    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        action(config)

    return run


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    async with engine.begin() as conn:
        await conn.run_sync(_run_with_connection(lambda cfg: command.upgrade(cfg, revision)))


async def downgrade(engine: AsyncEngine, revision: str = "-1") -> None:
    async with engine.begin() as conn:
        await conn.run_sync(_run_with_connection(lambda cfg: command.downgrade(cfg, revision)))


async def prepare_schema(engine: AsyncEngine, *, auto_migrate: bool) -> None:
    """Upgrade when allowed, otherwise refuse an out-of-date schema."""
    if auto_migrate:
        await upgrade(engine, "head")
    await check_schema(engine)
