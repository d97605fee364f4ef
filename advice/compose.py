"""Turn an :class:`~inference.types.Analysis` into Shelly's reply: mood lines, advice, group and wellbeing lines."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping, Sequence

from advice.corpus import Corpus, load
from advice.emotions import GENERIC, NEGATIVE_EMOTIONS, canonical, is_known
from advice.language import resolve_language
from advice.reply import AdviceContext, FaceAdvice, Reply
from inference.types import Analysis

CONFIDENT_THRESHOLD = 0.70
"""At or above: "You look happy"."""
MEDIUM_THRESHOLD = 0.45
"""At or above (and below confident): "Looks like you might be…"; below: "you might be a little…"."""
RECENT_WINDOW = 5
"""The last this-many ``recent_ids`` are never reused while the pool has other choices (pools hold ≥ 12)."""
RECENT_MEMORY = 20
"""Suggested number of ids the caller keeps per chat; all of them are avoided while possible."""
SAD_STREAK_THRESHOLD = 3
"""Sadness readings of the same sender within ``SAD_STREAK_WINDOW_DAYS`` that trigger the wellbeing line."""
SAD_STREAK_WINDOW_DAYS = 7
CLOSE_CALL_MARGIN = 0.15
"""When a face's two most likely moods are at most this far apart, the mood line names both ("somewhere between
calm and a little sad"): the model is calibrated, so a close call is honestly a close call."""


def confidence_level(confidence: float) -> str:
    """``"confident"``, ``"medium"`` or ``"low"``."""
    if confidence >= CONFIDENT_THRESHOLD:
        return "confident"
    if confidence >= MEDIUM_THRESHOLD:
        return "medium"
    return "low"


def uses_sad_streak(analysis: Analysis) -> bool:
    """Whether ``compose`` reads ``context.sad_streak`` for this analysis (the wellbeing check needs a sad face):
    the caller looks the streak up only then."""
    return any(canonical(face.top_emotion) == "sadness" for face in analysis.faces)


def compose(analysis: Analysis, context: AdviceContext, rng: random.Random | None = None) -> Reply:
    """Shelly's reply to a photo. When others can read along (group chat or several faces), negative moods
    are never named per person: they get a gentle mood line and collective advice. The first
    ``context.max_faces`` faces in picture order are answered one by one, the rest summed up in the crowd line;
    the group line and the wellbeing check consider every face."""
    rng = rng or random.Random()
    language = resolve_language(context.language)
    corpus = load(language)
    faces = sorted(analysis.faces, key=lambda f: f.index)
    if not faces:
        return Reply(faces=(), group_line=None, wellbeing_line=None, no_face=True, used_ids=(), language=language)
    public = context.in_group or len(faces) > 1
    recent = list(context.recent_ids)
    used: list[str] = []
    answers: list[FaceAdvice] = []
    for face in faces[: context.max_faces]:
        emotion = canonical(face.top_emotion)
        confidence = float(face.confidence)
        pools = _advice_pools(corpus, emotion, public)
        advice_id = pick(pools, recent, used, rng)
        used.append(advice_id)
        text = next(pool[advice_id] for pool in pools if advice_id in pool)
        runner_up = _close_runner_up(face.emotions, emotion, confidence)
        if runner_up is None:
            mood_line = _mood_line(corpus, emotion, confidence, public, rng)
        else:
            mood_line = _between_line(corpus, (emotion, confidence), runner_up, public, rng)
        answers.append(FaceAdvice(face.index, emotion, confidence, mood_line, text, advice_id,
                                  runner_up[0] if runner_up else None))
    emotions = [canonical(face.top_emotion) for face in faces]
    group_line = _group_line(corpus, emotions, rng) if len(faces) > 1 else None
    wellbeing_line = None
    if context.sad_streak >= SAD_STREAK_THRESHOLD and uses_sad_streak(analysis):
        pool = corpus.wellbeing["group" if context.in_group else "solo"]
        wellbeing_id = pick([pool], recent, used, rng)
        used.append(wellbeing_id)
        wellbeing_line = pool[wellbeing_id]
    return Reply(tuple(answers), group_line, wellbeing_line, False, tuple(used), language,
                 crowd=tuple(emotions[len(answers):]))


def pick(pools: Sequence[Mapping[str, str]], recent: Sequence[str], used: Sequence[str], rng: random.Random) -> str:
    """A random id from the first pool with one not in ``recent`` or ``used``; otherwise the least recently
    used id (avoiding ``used``, the ids already in this reply, while possible)."""
    avoid = set(recent) | set(used)
    for pool in pools:
        fresh = [i for i in pool if i not in avoid]
        if fresh:
            return rng.choice(fresh)
    everything = list(dict.fromkeys(i for pool in pools for i in pool))
    candidates = [i for i in everything if i not in set(used)] or everything
    age = {advice_id: position for position, advice_id in enumerate(recent)}
    oldest = min(age.get(i, -1) for i in candidates)
    return rng.choice([i for i in candidates if age.get(i, -1) == oldest])


def _advice_pools(corpus: Corpus, emotion: str, public: bool) -> list[Mapping[str, str]]:
    if not is_known(emotion):
        return [corpus.group_advice[GENERIC] if public else corpus.advice[GENERIC]]
    if not public:
        return [corpus.advice[emotion], corpus.advice[GENERIC]]
    if emotion in NEGATIVE_EMOTIONS:
        return [corpus.group_advice[emotion], corpus.group_advice[GENERIC]]
    return [{**corpus.group_advice[emotion], **corpus.advice[emotion]}, corpus.group_advice[GENERIC]]


def _mood_line(corpus: Corpus, emotion: str, confidence: float, public: bool, rng: random.Random) -> str:
    percent = corpus.percent.format(value=round(confidence * 100))
    level = confidence_level(confidence)
    if not is_known(emotion):
        style = "unknown_group" if public else "unknown_solo"
        line = rng.choice(corpus.mood_lines[style][level]).format(label=emotion, percent=percent)
    else:
        style = "solo" if not public else "gentle" if emotion in NEGATIVE_EMOTIONS else "group"
        mood = corpus.moods[emotion]
        line = rng.choice(corpus.mood_lines[style][level]).format(
            adjective=mood.adjective, noun=mood.noun, with_article=mood.with_article, soft=mood.soft, percent=percent
        )
    return line[:1].upper() + line[1:]


def _close_runner_up(emotions: Mapping[str, float], top: str, confidence: float) -> tuple[str, float] | None:
    """The second most likely known mood when it is within ``CLOSE_CALL_MARGIN`` of the top one, else ``None``."""
    if not is_known(top):
        return None
    others = [(canonical(label), float(p)) for label, p in emotions.items() if canonical(label) != top]
    known = [(e, p) for e, p in others if is_known(e)]
    if not known:
        return None
    second = max(known, key=lambda item: item[1])
    best_other = max(p for _, p in others)
    if second[1] < best_other or confidence - second[1] > CLOSE_CALL_MARGIN:
        return None  # the runner-up is an unknown label, or not close
    return second


def _between_line(
    corpus: Corpus, top: tuple[str, float], second: tuple[str, float], public: bool, rng: random.Random
) -> str:
    """A mood line naming both moods of a close call; when others read along and either mood is heavy, only the
    gentle ``soft`` phrases are used."""
    heavy = top[0] in NEGATIVE_EMOTIONS or second[0] in NEGATIVE_EMOTIONS
    style = "solo" if not public else "gentle" if heavy else "group"
    first, other = corpus.moods[top[0]], corpus.moods[second[0]]
    line = rng.choice(corpus.between_lines[style]).format(
        adjective=first.adjective, noun=first.noun, with_article=first.with_article, soft=first.soft,
        adjective2=other.adjective, noun2=other.noun, with_article2=other.with_article, soft2=other.soft,
        percent=corpus.percent.format(value=round(top[1] * 100)),
        percent2=corpus.percent.format(value=round(second[1] * 100)),
    )
    return line[:1].upper() + line[1:]


def _group_line(corpus: Corpus, emotions: Sequence[str], rng: random.Random) -> str:
    counts = Counter(emotions)
    top, top_count = counts.most_common(1)[0]
    fits_adjective = is_known(top) and top not in NEGATIVE_EMOTIONS
    if len(counts) == 1 and top in NEGATIVE_EMOTIONS:
        kind = "uniform_heavy"
    elif len(counts) == 1 and fits_adjective:
        kind = "uniform"
    elif top_count * 2 > len(emotions) and fits_adjective:
        kind = "mostly"
    else:
        kind = "mixed"
    adjective = corpus.moods[top].adjective if fits_adjective else ""
    line = rng.choice(corpus.group_lines[kind]).format(adjective=adjective, count=len(emotions))
    return line[:1].upper() + line[1:]
