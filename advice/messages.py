"""Fixed texts the bot shows (errors, commands), in every supported language. Plain text, no markup.

Use ``text(key, language, **fmt)``; ``language`` may be a raw Telegram code (``"de-AT"``).

Keys (placeholders in braces; extra keyword arguments are ignored):

- ``start``: /start greeting: who Shelly is, what she does, what she keeps, commands
- ``help``: /help: how to use her, privacy in short, command list, not a medical tool
- ``privacy``: longer answer to "what do you keep?" (/privacy)
- ``no_face``: no face found in the photo, with tips (light, angle, face the camera, distance)
- ``too_large``: the file is too big; ``{max_mb}`` = limit in MB
- ``unreadable``: the file could not be decoded as an image
- ``unsupported``: the message is not a photo/image (document of another type, sticker, ...)
- ``busy``: the queue is full, try again in a moment
- ``timeout``: analysis took too long
- ``error``: anything else went wrong
- ``cooldown``: rate limit hit; ``{seconds}`` = whole seconds to wait
- ``too_many_faces``: more faces than answered; ``{shown}`` answered, ``{total}`` found
- ``working``: short "looking at your photo…" note
- ``opted_out``: /optout done (no more analysis of this user's photos)
- ``opted_in``: /optin done
- ``already_opted_out``: a photo arrived from someone who opted out (said once, privately if possible)
- ``forget_confirm``: /forget asks for confirmation (bot adds its own yes/no buttons)
- ``forget_yes`` / ``forget_no``: labels of the confirmation buttons
- ``forget_done``: stored mood counts deleted; ``{count}`` = entries removed
- ``forget_cancelled``: /forget cancelled
- ``stats_not_enough_data``: /stats has too little to show
- ``stats_caption``: caption of the /stats chart; ``{photos}`` = number of photos counted, ``{days}`` = period
- ``not_admin``: a group command that only chat admins may use
- ``group_welcome``: Shelly was added to a group chat
- ``details_button``: label of the inline button under a reply that shows the per-face details chart (short)
- ``details_title``: title drawn on that chart (top-3 moods per face)
- ``details_expired``: the button was pressed after the details were forgotten (kept one day, in memory)
"""

from __future__ import annotations

import logging
import string
from collections.abc import Mapping

from advice.corpus import load
from advice.language import resolve_language

log = logging.getLogger(__name__)

MESSAGE_PLACEHOLDERS: Mapping[str, frozenset[str]] = {
    "start": frozenset(),
    "help": frozenset(),
    "privacy": frozenset(),
    "no_face": frozenset(),
    "too_large": frozenset({"max_mb"}),
    "unreadable": frozenset(),
    "unsupported": frozenset(),
    "busy": frozenset(),
    "timeout": frozenset(),
    "error": frozenset(),
    "cooldown": frozenset({"seconds"}),
    "too_many_faces": frozenset({"shown", "total"}),
    "working": frozenset(),
    "opted_out": frozenset(),
    "opted_in": frozenset(),
    "already_opted_out": frozenset(),
    "forget_confirm": frozenset(),
    "forget_yes": frozenset(),
    "forget_no": frozenset(),
    "forget_done": frozenset({"count"}),
    "forget_cancelled": frozenset(),
    "stats_not_enough_data": frozenset(),
    "stats_caption": frozenset({"photos", "days"}),
    "not_admin": frozenset(),
    "group_welcome": frozenset(),
    "details_button": frozenset(),
    "details_title": frozenset(),
    "details_expired": frozenset(),
}
"""Every message key and the placeholders its texts may use (the same in every language)."""

MESSAGE_KEYS: tuple[str, ...] = tuple(MESSAGE_PLACEHOLDERS)


class _KeepMissing(dict[str, object]):
    def __missing__(self, key: str) -> str:
        log.warning("advice.messages: placeholder {%s} not supplied", key)
        return "{" + key + "}"


def placeholders(template: str) -> set[str]:
    """Field names used by a ``str.format`` template."""
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


def text(key: str, language: str, **fmt: object) -> str:
    """The message ``key`` in ``language`` (resolved, English fallback), formatted with ``fmt``.

    Raises ``KeyError`` for an unknown key. A missing placeholder is left as ``{name}`` and logged.
    """
    if key not in MESSAGE_PLACEHOLDERS:
        raise KeyError(f"unknown message key {key!r}")
    template = load(resolve_language(language)).messages[key]
    return template.format_map(_KeepMissing(fmt))
