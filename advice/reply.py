"""Typed values that leave the advice package, and rendering them to plain text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from advice.crowd import crowd_line
from advice.messages import text
from advice.textfit import cut_words, shorten

CAPTION_LIMIT = 1024
"""Telegram's limit for photo captions."""
MESSAGE_LIMIT = 4096
"""Telegram's limit for text messages."""
MIN_ADVICE_CHARS = 25
"""When shortening, advice squeezed below this is dropped instead (the mood line stays)."""
MAX_FACES = 10
"""Default number of faces answered one by one; the rest of a crowd photo is summed up in one line."""


@dataclass(frozen=True)
class AdviceContext:
    """What the caller knows about the chat. ``recent_ids``: ids used lately in this chat, oldest first.
    ``sad_streak``: recent sadness readings of the sender (see ``SAD_STREAK_THRESHOLD``). ``max_faces``: faces
    answered one by one, in picture order (the bot passes ``settings.max_faces_in_reply``); the others are
    summed up in one crowd line."""

    language: str
    in_group: bool
    recent_ids: Sequence[str] = ()
    sad_streak: int = 0
    max_faces: int = MAX_FACES

    def __post_init__(self) -> None:
        if self.max_faces < 1:
            raise ValueError(f"max_faces must be at least 1, got {self.max_faces}")


@dataclass(frozen=True)
class FaceAdvice:
    """Shelly's answer to one face; ``index`` matches the number on the annotated picture."""

    index: int
    emotion: str  # canonical label ("happy" from a custom model becomes "happiness"); unknown labels tidied
    confidence: float
    mood_line: str
    advice: str
    advice_id: str
    close_to: str | None = None  # runner-up mood when the reading was a close call (named in the mood line)


@dataclass(frozen=True)
class Reply:
    """Everything Shelly says about one photo. ``used_ids``: advice/wellbeing ids to remember for the chat.
    ``faces``: the faces answered one by one (the first ``max_faces`` in picture order); ``crowd``: the
    canonical top emotions of all faces after them, summed up in :attr:`crowd_line`."""

    faces: tuple[FaceAdvice, ...]
    group_line: str | None
    wellbeing_line: str | None
    no_face: bool
    used_ids: tuple[str, ...]
    language: str = "en"
    crowd: tuple[str, ...] = ()

    @property
    def crowd_line(self) -> str | None:
        """The crowd summed up, "…and 34 more faces: mostly calm, some happy." (``None`` without a crowd)."""
        return crowd_line(self.crowd, self.language) if self.crowd else None

    def render(self, max_chars: int | None = None) -> str:
        """Plain text. One face: mood line + advice. Several: group line, a list numbered like the boxes and
        the crowd line. With ``max_chars``, advice texts are shortened first (sentences, then words + "…");
        when even the mood lines do not fit, the last answered faces join the crowd line (none is dropped)."""
        if self.no_face or not self.faces:
            return _fit(text("no_face", self.language), max_chars)
        reply = self
        while True:
            advices = [face.advice for face in reply.faces]
            full = reply._layout(advices)
            if max_chars is None or len(full) <= max_chars:
                return full
            fixed = len(reply._layout([""] * len(advices)))
            if fixed <= max_chars or len(reply.faces) == 1:
                return _fit(reply._layout(_squeeze(advices, max_chars - fixed)), max_chars)
            reply = replace(reply, faces=reply.faces[:-1], crowd=(reply.faces[-1].emotion, *reply.crowd))

    def _layout(self, advices: Sequence[str]) -> str:
        if len(self.faces) == 1 and not self.crowd:
            blocks = [_join(self.faces[0].mood_line, advices[0])]
        else:
            crowd = self.crowd_line
            lines = [f"{f.index}. {_join(f.mood_line, a)}" for f, a in zip(self.faces, advices, strict=True)]
            blocks = [self.group_line or "", "\n".join([*lines, crowd] if crowd else lines)]
        blocks.append(self.wellbeing_line or "")
        return "\n\n".join(b for b in blocks if b)


def _join(mood_line: str, advice: str) -> str:
    return f"{mood_line} {advice}" if advice else mood_line


def _squeeze(advices: Sequence[str], budget: int) -> list[str]:
    """Shorten ``advices`` so that together (each with its leading space) they fit ``budget``."""
    wanted = [len(a) + 1 for a in advices]
    dropped: set[int] = set()
    while True:  # drop advice that could not keep a useful length, share again among the rest
        costs = [0 if i in dropped else c for i, c in enumerate(wanted)]
        limits = _share(budget, costs)
        too_small = {i for i, lim in enumerate(limits) if lim < costs[i] and lim - 1 < MIN_ADVICE_CHARS}
        if not too_small:
            break
        dropped |= too_small

    def attempt(total_budget: int) -> list[str]:
        return [
            shorten(a, lim - 1) if costs[i] else ""
            for i, (a, lim) in enumerate(zip(advices, _share(total_budget, costs), strict=True))
        ]

    def used(texts: Sequence[str]) -> int:
        return sum(len(t) + 1 for t in texts if t)

    best = attempt(budget)
    extra = 0
    for _ in range(3):  # sentence cuts leave slack: offer it to the items that were cut
        slack = budget - used(best)
        if slack <= 0:
            break
        extra += slack
        trial = attempt(budget + extra)
        if used(trial) > budget:
            break
        best = trial
    return best


def _share(budget: int, costs: Sequence[int]) -> list[int]:
    """Split ``budget`` over items wanting ``costs``: small ones get all they want, the rest share equally."""
    limits = [0] * len(costs)
    remaining = max(budget, 0)
    order = sorted(range(len(costs)), key=costs.__getitem__)
    for position, item in enumerate(order):
        fair = remaining // (len(order) - position)
        limits[item] = min(costs[item], fair)
        remaining -= limits[item]
    return limits


def _fit(rendered: str, max_chars: int | None) -> str:
    return rendered if max_chars is None or len(rendered) <= max_chars else cut_words(rendered, max_chars)
