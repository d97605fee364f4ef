from __future__ import annotations

import logging

from bot.log_setup import RedactTokenFilter, install_redaction, redact

TOKEN = "123456789:AAE-abcdefghijklmnopqrstuvwxyz_0123456"


def test_redact_plain_and_url_encoded_tokens() -> None:
    assert TOKEN not in redact(f"GET https://api.telegram.org/bot{TOKEN}/getMe")
    encoded = TOKEN.replace(":", "%3A")
    assert "AAE-abcdefghijklmnopqrstuvwxyz_0123456" not in redact(f"/file/bot{encoded}/x.jpg")
    assert redact("chat 12345: hello") == "chat 12345: hello"


def test_filter_rewrites_args_and_exceptions() -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "url %s", (f"/bot{TOKEN}/x",), None)
    RedactTokenFilter().filter(record)
    assert TOKEN not in record.getMessage()
    try:
        raise RuntimeError(f"failed /bot{TOKEN}/getMe")
    except RuntimeError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", (), sys.exc_info())
    RedactTokenFilter().filter(record)
    assert TOKEN not in (record.exc_text or "")


def test_installed_redaction_reaches_any_logger(caplog) -> None:
    install_redaction()
    caplog.set_level(logging.INFO)
    logging.getLogger("httpx").warning("HTTP Request: POST https://api.telegram.org/bot%s/sendMessage", TOKEN)
    logging.getLogger("some.other").info("token=%s", TOKEN)
    assert TOKEN.split(":")[1] not in caplog.text


def test_library_records_keep_scalars_and_hide_structures() -> None:
    from bot.log_setup import HIDDEN, scrub_library_record

    update = {"message": {"from": {"id": 4711, "first_name": "Ann"}, "text": "hello there"}}
    record = logging.LogRecord("telegram.ext.ExtBot", logging.DEBUG, __file__, 1,
                               "Calling Bot API endpoint `%s` with parameters `%s`", ("sendMessage", update), None)
    scrub_library_record(record)
    assert record.getMessage() == f"Calling Bot API endpoint `sendMessage` with parameters `{HIDDEN}`"
    record = logging.LogRecord("telegram.ext.Application", logging.DEBUG, __file__, 1, "Processing update %s",
                               ("Update(message=Message(text='hello there'))",), None)
    scrub_library_record(record)
    assert "hello" not in record.getMessage()
    mine = logging.LogRecord("bot.handlers", logging.INFO, __file__, 1, "got %s", (update,), None)
    scrub_library_record(mine)  # only python-telegram-bot's records are touched
    assert "Ann" in mine.getMessage()
