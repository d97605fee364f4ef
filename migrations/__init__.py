"""Alembic migrations for Shelly's statistics database (see ``bot.storage.schema``; ``shelly db upgrade``)."""
