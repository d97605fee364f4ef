"""Fixed texts the bot shows (errors, commands), in every supported language. Plain text, no markup.

Use ``text(key, language, **fmt)``; ``language`` may be a raw Telegram code (``"de-AT"``). Placeholders named
after a counted noun (``photos``, ``faces``, ``more_faces``, ``people``, ``days``, ``seconds``) take an ``int``
and are written with the noun in the language's plural form ("1 photo", "3 фотографии"; see
:func:`advice.vocabulary.quantity`).

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
- ``cooldown``: rate limit hit; ``{seconds}`` = whole seconds to wait (counted noun)
- ``crowd_summary``: the one line after the per-face answers that sums up the other faces of a crowd photo;
  ``{more_faces}`` = how many (counted noun, "34 more faces"), ``{moods}`` = the crowd words below, joined by ", "
- ``crowd_all`` / ``crowd_mostly`` / ``crowd_some`` / ``crowd_few``: one mood of that summary with its share
  (every face / ≥ 50 % / ≥ 20 % / less); ``{mood}`` = the mood's display name (``label``) or ``crowd_quiet``
- ``crowd_quiet``: the gentle collective name for all heavy moods together in that summary ("thoughtful")
- ``opted_out``: /optout done (no more analysis of this user's photos)
- ``opted_in``: /optin done
- ``already_opted_out``: a photo arrived from someone who opted out (said once, privately if possible)
- ``forget_confirm``: /forget asks for confirmation (bot adds its own yes/no buttons)
- ``forget_yes`` / ``forget_no``: labels of the confirmation buttons
- ``forget_done``: stored mood counts deleted; ``{count}`` = entries removed (a bare number)
- ``forget_cancelled``: /forget cancelled
- ``stats_not_enough_data``: /stats has too little to show
- ``stats_caption``: caption of the /stats chart; ``{faces}`` faces in ``{photos}`` photos over ``{days}`` days
- ``not_admin``: a group command that only chat admins may use
- ``group_welcome``: Shelly was added to a group chat
- ``details_button``: label of the inline button under a reply that shows the per-face details chart (short)
- ``details_title``: title drawn on that chart (top-3 moods per face)
- ``details_expired``: the button was pressed after the details were forgotten (kept one day, in memory)
- ``private_text``: plain text in a private chat: short, points to /help
- ``settings_private``: /settings in a private chat (settings are for groups): short, points to /help
- ``stats_group_needs_people``: group /stats below the k-anonymity rule; ``{people}`` = people needed
- ``stats_line``: one line of the /stats text: ``{mood}`` name, ``{share}`` percentage, ``{count}`` faces
- ``stats_day_line``: one day of the /stats trend: ``{day}`` short date, ``{mood}`` top mood, ``{count}`` faces
- ``chart_subtitle``: under a shared chart's title; ``{faces}`` counted, from ``{people}`` contributors
- ``chart_trend``: title of the daily chart; ``{days}`` = period
- ``chart_empty``: the chart has no data
- ``settings_menu``: the /settings text; ``{mode}`` ``{annotate}`` ``{user_cooldown}`` ``{chat_cooldown}``
  ``{chat_language}`` are the current values (already worded)
- ``settings_mode_off`` / ``settings_mode_on_request`` / ``settings_mode_every_photo``: the photo modes
- ``settings_on`` / ``settings_off``: values of the numbered-picture switch
- ``settings_annotate_on`` / ``settings_annotate_off``: its two buttons
- ``settings_language_auto``: "each person's own language" (no fixed chat language)
- ``language_current``: /language prompt; ``{name}`` = current language's name
- ``language_chosen``: after choosing; ``{name}``
- ``download_failed``: the photo could not be fetched from Telegram (retries included); send it again
- ``storage_unavailable``: a command needed the database while it is down or hung; nothing lost, try again later
- ``admin_open``: button in /settings that opens the group admin controls (short)
- ``admin_menu``: the admin controls text; ``{who}`` ``{quiet}`` ``{autodelete}`` ``{topics}`` ``{pulse}`` = values
- ``admin_who_everyone`` / ``admin_who_admins``: who may ask with /mood (values and buttons)
- ``admin_quiet_hours``: the quiet hours value; ``{start}`` ``{end}`` ("22:00"), ``{zone}`` (time zone name)
- ``admin_quiet_button``: label of the quiet hours on/off button (short)
- ``admin_quiet_from`` / ``admin_quiet_until``: stepper labels; ``{hour}`` ("22:00")
- ``admin_zone_button``: opens the time zone list; ``{zone}``
- ``admin_zone_menu``: text above the time zone list (places and a UTC offset stepper)
- ``admin_autodelete_after``: auto-delete value/button; ``{delay}`` = worded duration ("15 min")
- ``admin_autodelete_needs_right``: alert (at most 200 characters): the bot lacks the "Delete messages" right
- ``admin_topics_all`` / ``admin_topics_some``: topics value; ``{count}`` = number of topics (a bare number)
- ``admin_topic_only_here`` / ``admin_topic_also_here`` / ``admin_topic_not_here``: forum topic buttons
- ``admin_back``: back to the main /settings menu
- ``admins_only_request``: a member asked with /mood where only admins may ask
- ``quiet_hours_now``: /mood during the group's quiet hours; ``{until}`` = end time ("07:00")
- ``admin_pulse_button``: the weekly mood pulse on/off button (short)
- ``pulse_text``: the weekly pulse (chart caption, at most 1024 characters): ``{faces}`` read from ``{people}``
  (counted nouns), ``{top}`` = the most frequent mood's name; kind, names nobody, says the counts are anonymous
- ``pulse_chart_title``: title drawn on the pulse chart
"""

from __future__ import annotations

import logging
import string
from collections.abc import Mapping

from advice.corpus import COUNT_NOUNS, load
from advice.language import resolve_language
from advice.vocabulary import quantity

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
    "crowd_summary": frozenset({"more_faces", "moods"}),
    "crowd_all": frozenset({"mood"}),
    "crowd_mostly": frozenset({"mood"}),
    "crowd_some": frozenset({"mood"}),
    "crowd_few": frozenset({"mood"}),
    "crowd_quiet": frozenset(),
    "opted_out": frozenset(),
    "opted_in": frozenset(),
    "already_opted_out": frozenset(),
    "forget_confirm": frozenset(),
    "forget_yes": frozenset(),
    "forget_no": frozenset(),
    "forget_done": frozenset({"count"}),
    "forget_cancelled": frozenset(),
    "stats_not_enough_data": frozenset(),
    "stats_caption": frozenset({"faces", "photos", "days"}),
    "not_admin": frozenset(),
    "group_welcome": frozenset(),
    "details_button": frozenset(),
    "details_title": frozenset(),
    "details_expired": frozenset(),
    "private_text": frozenset(),
    "settings_private": frozenset(),
    "stats_group_needs_people": frozenset({"people"}),
    "stats_line": frozenset({"mood", "share", "count"}),
    "stats_day_line": frozenset({"day", "mood", "count"}),
    "chart_subtitle": frozenset({"faces", "people"}),
    "chart_trend": frozenset({"days"}),
    "chart_empty": frozenset(),
    "settings_menu": frozenset({"mode", "annotate", "user_cooldown", "chat_cooldown", "chat_language"}),
    "settings_mode_off": frozenset(),
    "settings_mode_on_request": frozenset(),
    "settings_mode_every_photo": frozenset(),
    "settings_on": frozenset(),
    "settings_off": frozenset(),
    "settings_annotate_on": frozenset(),
    "settings_annotate_off": frozenset(),
    "settings_language_auto": frozenset(),
    "language_current": frozenset({"name"}),
    "language_chosen": frozenset({"name"}),
    "download_failed": frozenset(),
    "storage_unavailable": frozenset(),
    "admin_open": frozenset(),
    "admin_menu": frozenset({"who", "quiet", "autodelete", "topics", "pulse"}),
    "admin_who_everyone": frozenset(),
    "admin_who_admins": frozenset(),
    "admin_quiet_hours": frozenset({"start", "end", "zone"}),
    "admin_quiet_button": frozenset(),
    "admin_quiet_from": frozenset({"hour"}),
    "admin_quiet_until": frozenset({"hour"}),
    "admin_zone_button": frozenset({"zone"}),
    "admin_zone_menu": frozenset(),
    "admin_autodelete_after": frozenset({"delay"}),
    "admin_autodelete_needs_right": frozenset(),
    "admin_topics_all": frozenset(),
    "admin_topics_some": frozenset({"count"}),
    "admin_topic_only_here": frozenset(),
    "admin_topic_also_here": frozenset(),
    "admin_topic_not_here": frozenset(),
    "admin_back": frozenset(),
    "admins_only_request": frozenset(),
    "quiet_hours_now": frozenset({"until"}),
    "admin_pulse_button": frozenset(),
    "pulse_text": frozenset({"faces", "people", "top"}),
    "pulse_chart_title": frozenset(),
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

    Raises ``KeyError`` for an unknown key. A missing placeholder is left as ``{name}`` and logged. An ``int``
    for a counted-noun placeholder (``photos=3``) is written with its noun ("3 photos").
    """
    if key not in MESSAGE_PLACEHOLDERS:
        raise KeyError(f"unknown message key {key!r}")
    language = resolve_language(language)
    template = load(language).messages[key]
    values = {
        name: quantity(name, value, language) if name in COUNT_NOUNS and type(value) is int else value
        for name, value in fmt.items()
    }
    return template.format_map(_KeepMissing(values))
