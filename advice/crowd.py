"""The one line that sums up the faces of a crowd photo beyond the per-face answers.

"…and 34 more faces: mostly calm, some happy, a few surprised." Each named mood gets a word for its share of
those faces: ``all`` (every one of at least two faces), ``mostly`` (at least half, and more than any other),
``some`` (at least a fifth), ``few`` (less); a single face is named bare. At most :data:`MAX_NAMED_MOODS` moods
are named, largest first; the count always covers every face. Others read this line, so the heavy moods are
never named: together they count as one gentle mood (the ``crowd_quiet`` text, "thoughtful").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from advice.corpus import load
from advice.emotions import KNOWN_EMOTIONS, NEGATIVE_EMOTIONS, canonical, is_known
from advice.language import resolve_language
from advice.messages import text

MAX_NAMED_MOODS = 3
QUIET = "_quiet_"
"""The heavy moods together (no canonical label contains "_", so no model label can collide)."""


@dataclass(frozen=True)
class MoodShare:
    """One mood named in the crowd line: ``mood`` is a canonical label or :data:`QUIET`; ``tier`` is ``"one"``
    (a single face, named bare), ``"all"``, ``"mostly"``, ``"some"`` or ``"few"``."""

    mood: str
    count: int
    tier: str


def mood_shares(emotions: Sequence[str]) -> list[MoodShare]:
    """The moods to name for these faces' top emotions, largest first; ties in the order calm, happy,
    surprised (the model's label order), then the heavy moods, then unknown labels alphabetically."""
    counts = Counter(QUIET if e in NEGATIVE_EMOTIONS else e for e in map(canonical, emotions))
    ranked = sorted(counts.items(), key=lambda item: (-item[1], *_tie_rank(item[0])))[:MAX_NAMED_MOODS]
    total = len(emotions)
    shares = []
    for position, (mood, count) in enumerate(ranked):
        if total == 1:
            tier = "one"
        elif count == total:
            tier = "all"
        elif position == 0 and 2 * count >= total and count > ranked[1][1]:
            tier = "mostly"
        elif 5 * count >= total:
            tier = "some"
        else:
            tier = "few"
        shares.append(MoodShare(mood, count, tier))
    return shares


def crowd_line(emotions: Sequence[str], language: str) -> str:
    """The summary of faces with these top emotions (model labels; at least one) in ``language``."""
    if not emotions:
        raise ValueError("a crowd line needs at least one face")
    language = resolve_language(language)
    words = []
    for share in mood_shares(emotions):
        name = _display_name(share.mood, language)
        words.append(name if share.tier == "one" else text(f"crowd_{share.tier}", language, mood=name))
    return text("crowd_summary", language, more_faces=len(emotions), moods=", ".join(words))


def _tie_rank(mood: str) -> tuple[int, str]:
    if is_known(mood):
        return KNOWN_EMOTIONS.index(mood), ""
    return (len(KNOWN_EMOTIONS), "") if mood == QUIET else (len(KNOWN_EMOTIONS) + 1, mood)


def _display_name(mood: str, language: str) -> str:
    if mood == QUIET:
        return text("crowd_quiet", language)
    return load(language).moods[mood].label if is_known(mood) else mood
