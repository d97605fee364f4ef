"""Exceptions the bot may want to catch (both are ``RuntimeError``s)."""

from __future__ import annotations


class SchemaOutOfDate(RuntimeError):
    """The database schema does not match the code; the message tells the operator what to run."""


class StorageUnavailable(RuntimeError):
    """The database could not be reached or refused the operation (reads and settings; recording never raises)."""
