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
