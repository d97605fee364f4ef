"""Choosing the language from a Telegram language code."""

from __future__ import annotations

import pytest

from advice import resolve_language, supported_languages


@pytest.mark.parametrize(
    ("code", "expected"),
    [("de-AT", "de"), ("de", "de"), ("DE_ch", "de"), ("en-GB", "en"), ("pt-BR", "pt"), ("pt", "pt"), ("es-MX", "es"),
     ("es", "es"), ("ru", "ru"), ("ru-RU", "ru"), ("fr-CA", "fr"), ("fr", "fr"), ("it", "en"), ("zh-hans", "en"),
     (None, "en"), ("", "en")],
)
def test_resolve_language(code: str | None, expected: str) -> None:
    assert resolve_language(code) == expected


def test_default_is_used_and_itself_resolved() -> None:
    assert resolve_language("it", default="de") == "de"
    assert resolve_language(None, default="de-DE") == "de"
    assert resolve_language("xx", default="yy") == "en"


def test_supported_languages() -> None:
    assert set(supported_languages()) >= {"en", "de", "es", "fr", "pt", "ru"}
