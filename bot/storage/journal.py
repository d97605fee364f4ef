"""The shutdown journal: mood events that could not reach the database before shutdown, kept in a small
append-only JSON-lines file and written at the next start.

It holds exactly what the database would (pseudonymised keys and coarse values, never raw ids). Appends are
fsynced, and so is the directory when the file is new. Several processes may share one file: appends and the
replay take an exclusive ``flock``, and an append that finds its file replayed and removed meanwhile starts a new
one. A line that cannot be read (a crash in the middle of a write leaves a truncated last line) is skipped with a
warning. Replaying twice is harmless: the database ignores an (update key, face index) it already has.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import URL

from bot.storage.engine import normalise_url
from bot.storage.types import MoodEvent

log = logging.getLogger(__name__)

JOURNAL_NAME = "shelly-journal.jsonl"
FIELDS = {f.name for f in dataclasses.fields(MoodEvent)}


def encode(event: MoodEvent) -> str:
    row = event.as_row() | {"hour": event.hour.isoformat()}
    return json.dumps(row, separators=(",", ":"), sort_keys=True)


def decode(line: str) -> MoodEvent:
    """Raise ``ValueError`` (or ``TypeError``) on anything that is not one well-formed event."""
    row = json.loads(line)
    if not isinstance(row, dict) or set(row) != FIELDS:
        raise ValueError("not a mood event")
    event = MoodEvent(**row | {"hour": datetime.fromisoformat(row["hour"])})
    ints = (event.face_index, event.confidence_bucket, event.face_count)
    strs = (event.update_key, event.user_key, event.chat_key, event.chat_type, event.emotion, event.model_version)
    if not all(type(v) is int for v in ints) or not all(isinstance(v, str) for v in strs):
        raise ValueError("wrong field types")
    return event


@dataclass
class Claim:
    """The journal's events, read under its lock (held until ``Journal.remove`` or ``Journal.release``)."""

    fd: int
    events: list[MoodEvent]


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, events: Iterable[MoodEvent]) -> int:
        """Append and fsync; returns the number of events written. Raises ``OSError``."""
        lines = [encode(e) + "\n" for e in events]
        if not lines:
            return 0
        data = "".join(lines).encode()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        created = not self.path.exists()
        fd = self._open_locked(os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            self._sync_directory()
        return len(lines)

    def claim(self) -> Claim | None:
        """Lock the journal and read it; None when there is none. Unreadable lines are skipped (warned)."""
        try:
            fd = self._open_locked(os.O_RDWR)
        except FileNotFoundError:
            return None
        with os.fdopen(os.dup(fd), "rb") as stream:
            raw = stream.read()
        events: list[MoodEvent] = []
        for number, line in enumerate(raw.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                events.append(decode(line.decode()))
            except (ValueError, TypeError, KeyError, UnicodeDecodeError):
                log.warning("journal %s: line %d unreadable (cut short by a crash?): skipped", self.path.name, number)
        return Claim(fd, events)

    def remove(self, claim: Claim) -> None:
        """The claimed events are in the database: delete the file, then let go of the lock."""
        try:
            self.path.unlink(missing_ok=True)
            self._sync_directory()
        finally:
            os.close(claim.fd)

    def release(self, claim: Claim) -> None:
        """Keep the file (its events were not written) and let go of the lock."""
        os.close(claim.fd)

    def _open_locked(self, flags: int) -> int:
        """Open ``path`` and take an exclusive lock on the very file that is still at ``path`` (a replay may
        have removed the one opened before the lock was granted)."""
        while True:
            fd = os.open(self.path, flags, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                if os.fstat(fd).st_ino == os.stat(self.path).st_ino:
                    return fd
            except FileNotFoundError:
                if not flags & os.O_CREAT:
                    os.close(fd)
                    raise
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)

    def _sync_directory(self) -> None:
        fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def default_journal_path(database_url: str | URL) -> Path:
    """``shelly-journal.jsonl`` next to the SQLite file, else in the working directory."""
    url = normalise_url(database_url)
    in_file = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
    return (Path(str(url.database)).parent if in_file else Path(".")) / JOURNAL_NAME
