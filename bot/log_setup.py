"""Logging set-up: levels, quiet HTTP client loggers, and two scrubs applied to every record at creation:
bot tokens are redacted everywhere, and python-telegram-bot's own records (which dump whole updates, request
parameters and API results at DEBUG: user ids, names, message texts) keep only plain scalar arguments."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

TOKEN_RE = re.compile(r"\d+(?::|%3[aA])[A-Za-z0-9_-]{30,}")
REDACTED = "<redacted-token>"
HIDDEN = "<hidden>"
_PLAIN_WORD = re.compile(r"[^\s{}\[\]()'\"]{1,64}")  # an endpoint name, a URL, a version: no structure, no spaces


def redact(text: str) -> str:
    return TOKEN_RE.sub(REDACTED, text)


def _plain(arg: object) -> bool:
    if arg is None or isinstance(arg, int | float | type):  # bool is an int
        return True
    return isinstance(arg, str) and _PLAIN_WORD.fullmatch(arg) is not None


def scrub_library_record(record: logging.LogRecord) -> None:
    """Replace the structured arguments of a python-telegram-bot record (an Update, request parameters, an API
    result, a raw JSON body) by ``<hidden>``: they carry user ids, names and message texts. Scalars (endpoint
    names, counts, seconds) stay, so the line still says what happened."""
    if not record.name.startswith("telegram") or not record.args:
        return
    if isinstance(record.args, Mapping):
        record.args = {key: value if _plain(value) else HIDDEN for key, value in record.args.items()}
    else:
        record.args = tuple(arg if _plain(arg) else HIDDEN for arg in record.args)


class RedactTokenFilter(logging.Filter):
    """Rewrites a record's message (and its arguments/exception text) so no bot token survives."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler
            return True
        clean = redact(message)
        if clean != message or record.args:
            record.msg = clean
            record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            if TOKEN_RE.search(str(exc)):
                record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
                record.exc_info = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


_FILTER = RedactTokenFilter()
_factory_installed = False


def _install_record_factory() -> None:
    """Scrub and redact at record creation, so every handler (also ones added later, such as pytest's caplog) only ever
    sees clean records, whichever logger they came from."""
    global _factory_installed
    if _factory_installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        scrub_library_record(record)
        _FILTER.filter(record)
        return record

    logging.setLogRecordFactory(factory)
    _factory_installed = True


def install_redaction(root: logging.Logger | None = None) -> RedactTokenFilter:
    """Add the redaction filter to the root logger and every handler on it (handlers get records from all
    loggers, logger filters only see records logged on that logger), idempotently."""
    _install_record_factory()
    root = root or logging.getLogger()
    if _FILTER not in root.filters:
        root.addFilter(_FILTER)
    for handler in root.handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
    # records from named loggers never pass the root logger's filters: filter at the source too
    for name in ("httpx", "httpcore", "telegram", "telegram.ext", "aiohttp", "bot", "inference", "advice"):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    return _FILTER


def configure_logging(level: str = "INFO") -> None:
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "httpcore", "alembic.runtime.plugins"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    install_redaction()
