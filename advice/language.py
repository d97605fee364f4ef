"""Pick the corpus language from a Telegram ``language_code`` (IETF tag such as ``"de-AT"``)."""

from __future__ import annotations

from advice.corpus import available_languages

FALLBACK_LANGUAGE = "en"


def supported_languages() -> tuple[str, ...]:
    """Language codes Shelly can speak."""
    return available_languages()


def resolve_language(code: str | None, default: str = FALLBACK_LANGUAGE) -> str:
    """``"de-AT"`` → ``"de"``; unsupported or missing codes → ``default`` (or English if that is unsupported too)."""
    supported = available_languages()
    for candidate in (code, default):
        primary = _primary(candidate)
        if primary in supported:
            return primary
    return FALLBACK_LANGUAGE


def _primary(code: str | None) -> str:
    """Primary subtag, lower-case: ``"pt_BR"`` → ``"pt"``."""
    return (code or "").strip().replace("_", "-").split("-", 1)[0].lower()
