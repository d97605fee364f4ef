"""Choosing the language from a Telegram language code."""

from __future__ import annotations

import pytest

from advice import resolve_language, supported_languages


@pytest.mark.parametrize(
    ("code", "expected"),
    [("de-AT", "de"), ("de", "de"), ("DE_ch", "de"), ("en-GB", "en"), ("fr", "en"), (None, "en"), ("", "en")],
)
def test_resolve_language(code: str | None, expected: str) -> None:
    assert resolve_language(code) == expected


def test_default_is_used_and_itself_resolved() -> None:
    assert resolve_language("fr", default="de") == "de"
    assert resolve_language(None, default="de-DE") == "de"
    assert resolve_language("xx", default="yy") == "en"


def test_supported_languages() -> None:
    assert {"en", "de"} <= set(supported_languages())
