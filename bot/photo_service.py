"""The photo flow without Telegram: request → gate → admit → fetch → analyze → compose → ``Outcome``.

Handlers translate an update into a :class:`PhotoRequest` plus a ``fetch`` callable (the Telegram download)
and, when the photo exists in a bigger size, a ``fetch_more`` callable (its download), send what the
:class:`Outcome` says, then call :meth:`PhotoService.delivered` (or
:meth:`PhotoService.undeliverable`). Every way a photo can go wrong is mapped to an outcome in one table
(``FAILURES``), so every photo gets exactly one answer: the reply, "busy", "try again", a kind refusal, or —
for gates that must stay quiet (chat mode, repeated cooldown) — a deliberate skip.

**Counting.** Mood events are recorded only for answers that reached the person (``delivered``): an analysis
whose reply could not be sent is not counted, so a person is never counted for something they never saw. A
redelivered update (same update id) is counted once: ``delivered`` remembers recent update ids, and storage
deduplicates on (update, face index) across restarts.

**Admission.** At most ``capacity`` photos are between admission and outcome at once (download, analysis,
compose). Set it to ``inference_workers + inference_queue_size``: then the pool never has to refuse, and a photo
beyond capacity is answered "busy" at once instead of waiting in a queue. PTB must run more updates at once than
``capacity`` (``max_concurrent_updates``), or photos would queue in PTB before reaching this gate.

**More pixels only when they pay.** ``fetch`` brings a mid-sized copy (the handler chooses it: for a Telegram
photo its 800 px size). The photo is read again from ``fetch_more`` (the bigger copy) only when the first reading
found no face, or a face whose box is shorter than ``SMALL_FACE_PX`` (:func:`wants_more_pixels`); the answer is
then the second reading. A second look that fails (download, analysis) or finds no face where the first found some
is logged or dropped and the first reading answered: escalating never makes an answer worse.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from cachetools import TTLCache

from advice import (
    RECENT_MEMORY,
    SAD_STREAK_WINDOW_DAYS,
    AdviceContext,
    Reply,
    compose,
    emotion_names,
    uses_sad_streak,
)
from advice import text as message_text
from bot import group_rules
from bot.gates import Cooldowns, RecentAdvice
from bot.metrics import Metrics
from bot.storage.types import ChatSettings
from inference import errors as ie
from inference.types import Analysis, Face

log = logging.getLogger(__name__)

SAD_WINDOW = timedelta(days=SAD_STREAK_WINDOW_DAYS)
GROUP_CHATS = frozenset({"group", "supergroup"})


class Analyzer(Protocol):
    """What the service needs from the inference pool (``inference.pool.InferencePool`` satisfies it)."""

    async def analyze(self, data: bytes, annotate: bool = True,
                      label_names: Mapping[str, str] | None = None, thorough: bool = True) -> Analysis: ...


class MoodStore(Protocol):
    """The part of ``bot.storage.Storage`` the photo flow uses."""

    async def is_opted_out(self, user_id: int) -> bool: ...
    async def recent_user_emotions(self, user_id: int, since: timedelta) -> list[str]: ...
    def record_analysis(self, *, update_id: int, user_id: int, chat_id: int, chat_type: str,
                        emotions: list[tuple[str, float]], model_version: str, when: datetime) -> None: ...


class FetchRefused(Exception):
    """The file is not one Shelly reads (known from its metadata): ``key`` is the message to show."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class FetchFailed(Exception):
    """The file could not be downloaded, retries included (a transient failure: the person may try again)."""


Fetch = Callable[[], Awaitable[bytes]]

SMALL_FACE_PX = 36.0
"""A face box shorter than this (its shorter side, in pixels of the analysed image) asks for a bigger copy. The
classifier reads a 48×48 crop whose side is ~1.2–1.35× the box width (2.83 × the eye–mouth distance): from
~36 px on, the crop holds the model's 48 pixels across and more pixels leave the reading as is (measured: 800 vs
1280 px copies of the same faces agree on the top emotion for every face from 32 px on; below, 83–93 %)."""


def wants_more_pixels(analysis: Analysis, small_face_px: float = SMALL_FACE_PX) -> str | None:
    """Why a bigger copy of the photo may read it better (``"no_face"``, ``"small_face"``), or ``None``."""
    if not analysis.faces:
        return "no_face"
    if min(min(f.box[2], f.box[3]) for f in analysis.faces) < small_face_px:
        return "small_face"
    return None


class OutcomeKind(StrEnum):
    ANSWER = "answer"  # the reading: text (+ picture)
    BUSY = "busy"  # beyond capacity: try again in a minute
    SKIP = "skip"  # nothing to say (chat mode, told about a cooldown already, not a person)
    REFUSED = "refused"  # this photo will not be read (too large, not an image, cooldown, opted out)
    TRY_AGAIN = "try_again"  # a transient failure (download, timeout, crashed worker)
    ERROR = "error"  # our side is broken (model missing, a bug); logged


FAILURES: tuple[tuple[type[BaseException], OutcomeKind, str], ...] = (
    (ie.PoolBusy, OutcomeKind.BUSY, "busy"),
    (ie.AnalysisTimeout, OutcomeKind.TRY_AGAIN, "timeout"),
    (ie.WorkerCrashed, OutcomeKind.TRY_AGAIN, "error"),
    (FetchFailed, OutcomeKind.TRY_AGAIN, "download_failed"),
    (ie.ImageTooLarge, OutcomeKind.REFUSED, "too_large"),
    (ie.TooManyPixels, OutcomeKind.REFUSED, "too_large"),
    (ie.UnsupportedImage, OutcomeKind.REFUSED, "unsupported"),
    (ie.ImageError, OutcomeKind.REFUSED, "unreadable"),  # empty, corrupt and any other bad input
    (ie.ModelMissing, OutcomeKind.ERROR, "error"),
    (Exception, OutcomeKind.ERROR, "error"),
)
"""Exception → (outcome, message key); the first matching row wins. ``FetchRefused`` carries its own key."""


def classify_failure(exc: BaseException) -> tuple[OutcomeKind, str]:
    if isinstance(exc, FetchRefused):
        return OutcomeKind.REFUSED, exc.key
    return next((kind, key) for cls, kind, key in FAILURES if isinstance(exc, cls))


@dataclass(frozen=True)
class PhotoRequest:
    """One photo to read. Ids are raw Telegram ids (ints); they never leave the process except as pseudonyms."""

    update_id: int
    chat_id: int
    chat_type: str  # "private" | "group" | "supergroup" | "channel"
    subject_id: int  # whose photo it is (sender, or the chat it was sent as)
    asker_id: int  # who asked (the sender of the photo, or of /mood)
    language: str
    explicit: bool  # /mood as caption or as a reply
    chat_settings: ChatSettings = field(default_factory=ChatSettings)
    # group admin controls (bot/group_rules.py)
    topic: int | None = None  # the forum topic the request is in (None outside forums)
    asker_is_admin: bool = False  # looked up by the handler only when "admins only" applies

    @property
    def private(self) -> bool:
        return self.chat_type == "private"


@dataclass(frozen=True)
class Outcome:
    """What to tell the person. ``text``: the message (for ``ANSWER`` the full reading); empty for ``SKIP``.
    ``to_asker``: the notice is about the person who asked (reply to their message, not to the photo)."""

    kind: OutcomeKind
    request: PhotoRequest
    reason: str  # message key or skip reason: "answered", "no_face", "busy", "cooldown", "too_large", ...
    text: str = ""
    reply: Reply | None = None
    picture: bytes | None = None  # the annotated JPEG, when the chat wants one and a face was found
    to_asker: bool = False
    emotions: tuple[tuple[str, float], ...] = ()  # per face, index order (ANSWER)
    faces: tuple[Face, ...] = ()  # the faces read (ANSWER): their full distributions feed the "details" button
    model_version: str = ""


class Admission:
    """A counter of photos in flight; ``try_enter`` never waits."""

    def __init__(self, capacity: int) -> None:
        self.capacity = max(1, capacity)
        self.in_flight = 0

    def try_enter(self) -> bool:
        if self.in_flight >= self.capacity:
            return False
        self.in_flight += 1
        return True

    def leave(self) -> None:
        self.in_flight -= 1


class PhotoService:
    def __init__(
        self, analyzer: Analyzer, storage: MoodStore, *, capacity: int, max_image_bytes: int,
        private_burst: int = 5, max_faces: int | None = None, metrics: Metrics | None = None,
        cooldowns: Cooldowns | None = None, recent: RecentAdvice | None = None, rng: random.Random | None = None,
    ) -> None:
        self.analyzer = analyzer
        self.storage = storage
        self.admission = Admission(capacity)
        self.max_image_bytes = max_image_bytes
        self.private_burst = private_burst
        self.max_faces = max_faces  # faces answered one by one (None: advice's default); the rest summed up
        self.metrics = metrics or Metrics()
        self.cooldowns = cooldowns or Cooldowns()
        self.recent = recent or RecentAdvice(per_chat=RECENT_MEMORY)
        self.rng = rng or random.Random()
        self._counted: TTLCache[tuple[int, int], bool] = TTLCache(maxsize=100_000, ttl=24 * 3600)

    # ------------------------------------------------------------------ the flow
    async def handle(self, request: PhotoRequest, fetch: Fetch, fetch_more: Fetch | None = None) -> Outcome:
        """Gate, admit, fetch, analyze (again from ``fetch_more``, a bigger copy, when the first reading asks for
        it: see the module docstring) and compose. Never raises (except cancellation)."""
        with self.metrics.photo_stage.labels("gate").time():
            outcome = await self._gate(request)
        if outcome is None:
            if self.admission.try_enter():
                try:
                    outcome = await self._read(request, fetch, fetch_more)
                finally:
                    self.admission.leave()
            else:  # the person did nothing wrong: their next try must not be met with "slow down"
                self.cooldowns.give_back(request.chat_id, request.asker_id)
                outcome = self._notice(request, OutcomeKind.BUSY, "busy")
        if outcome.kind is not OutcomeKind.ANSWER:
            self.metrics.photos.labels(outcome.reason).inc()
        return outcome

    async def _gate(self, request: PhotoRequest) -> Outcome | None:
        """``None`` when the photo may be read; otherwise the outcome that says why not."""
        cs = request.chat_settings
        if not request.private and (cs.mode == "off" or (cs.mode == "on_request" and not request.explicit)):
            return Outcome(OutcomeKind.SKIP, request, "mode")
        # --- group admin controls (bot/group_rules.py): forum topics, quiet hours, who may ask ---
        if not request.private:
            refused = group_rules.refusal(cs, explicit=request.explicit, topic=request.topic, now=datetime.now(UTC),
                                          asker_is_admin=request.asker_is_admin)
            if refused is not None and refused.message_key:
                return self._notice(request, OutcomeKind.REFUSED, refused.message_key, to_asker=True, **refused.fmt)
            if refused is not None:
                return Outcome(OutcomeKind.SKIP, request, refused.reason)
        burst = self.private_burst if request.private else 1
        if await self.storage.is_opted_out(request.subject_id):
            # said once per cooldown, and only in private chats (never single anyone out in a group)
            if request.private and self.cooldowns.check(
                    request.chat_id, request.asker_id, cs.user_cooldown_s, 0, burst) == "go":
                return self._notice(request, OutcomeKind.REFUSED, "already_opted_out", to_asker=True)
            return Outcome(OutcomeKind.SKIP, request, "opted_out")
        verdict = self.cooldowns.check(request.chat_id, request.asker_id, cs.user_cooldown_s,
                                       0 if request.private else cs.chat_cooldown_s, burst)
        if verdict == "silent":
            return Outcome(OutcomeKind.SKIP, request, "cooldown")
        if verdict == "notify":
            wait = max(1, math.ceil(self.cooldowns.remaining(request.chat_id, request.asker_id)))
            return self._notice(request, OutcomeKind.REFUSED, "cooldown", to_asker=True, seconds=wait)
        return None

    async def _read(self, request: PhotoRequest, fetch: Fetch, fetch_more: Fetch | None) -> Outcome:
        try:
            with self.metrics.photo_stage.labels("download").time():
                data = await fetch()
            # with a bigger copy to read next, the first look skips the full search for tiny or sideways faces
            analysis = await self._analyze(request, data, "pool", thorough=fetch_more is None)
        except Exception as exc:
            kind, key = classify_failure(exc)
            self.metrics.errors.labels(type(exc).__name__).inc()
            if kind is OutcomeKind.ERROR:
                log.error("update %d: analysis failed: %s", request.update_id, type(exc).__name__,
                          exc_info=not isinstance(exc, ie.ModelMissing))
            return self._notice(request, kind, key)
        if fetch_more is not None and (why := wants_more_pixels(analysis)) is not None:
            analysis = await self._read_more(request, fetch_more, analysis, data, why)
        annotate = request.chat_settings.annotate
        composing = time.perf_counter()
        context = AdviceContext(
            language=request.language, in_group=request.chat_type in GROUP_CHATS,
            recent_ids=self.recent.get(request.chat_id),
            sad_streak=await self._sad_streak(request.subject_id) if uses_sad_streak(analysis) else 0,
        )
        if self.max_faces is not None:
            context = dataclasses.replace(context, max_faces=self.max_faces)
        reply = compose(analysis, context, self.rng)
        faces = sorted(analysis.faces, key=lambda f: f.index)
        text = reply.render()
        self.metrics.photo_stage.labels("compose").observe(time.perf_counter() - composing)
        return Outcome(
            OutcomeKind.ANSWER, request, "answered" if faces else "no_face", text=text, reply=reply,
            picture=analysis.annotated_jpeg if annotate and faces and not reply.no_face else None,
            emotions=tuple((f.top_emotion, f.confidence) for f in faces), faces=tuple(faces),
            model_version=analysis.model_version,
        )

    async def _analyze(self, request: PhotoRequest, data: bytes, stage: str, thorough: bool = True) -> Analysis:
        annotate = request.chat_settings.annotate
        started = time.perf_counter()
        try:
            # the picture uses the reply's words for the moods, in the person's language
            return await self.analyzer.analyze(
                data, annotate=annotate, label_names=emotion_names(request.language) if annotate else None,
                thorough=thorough)
        finally:
            elapsed = time.perf_counter() - started
            self.metrics.inference_latency.observe(elapsed)
            self.metrics.photo_stage.labels(stage).observe(elapsed)

    async def _read_more(self, request: PhotoRequest, fetch_more: Fetch, first: Analysis, first_data: bytes,
                         why: str) -> Analysis:
        """The reading of the bigger copy; when that fails, the first reading, or, if that found no face (a quick
        look), the full search on the first copy; ``first`` also when the bigger copy shows no face where it did."""
        self.metrics.escalations.labels(why).inc()
        try:
            with self.metrics.photo_stage.labels("download_more").time():
                data = await fetch_more()
            second = await self._analyze(request, data, "pool_more")
        except Exception as exc:
            self.metrics.errors.labels(type(exc).__name__).inc()
            log.warning("update %d: the bigger copy could not be read (%s); answering from the first",
                        request.update_id, type(exc).__name__)
            if first.faces:
                return first
            try:
                return await self._analyze(request, first_data, "pool_more")
            except Exception as again:
                self.metrics.errors.labels(type(again).__name__).inc()
                return first
        return second if second.faces or not first.faces else first

    async def _sad_streak(self, subject_id: int) -> int:
        try:
            recent = await self.storage.recent_user_emotions(subject_id, SAD_WINDOW)
        except Exception as exc:  # statistics must never break a reply
            log.warning("could not read recent moods: %s", type(exc).__name__)
            return 0
        return sum(1 for emotion in recent if emotion == "sadness")

    def _notice(self, request: PhotoRequest, kind: OutcomeKind, key: str, *, to_asker: bool = False,
                **fmt: object) -> Outcome:
        text = message_text(key, request.language, max_mb=self.max_image_bytes // (1024 * 1024), **fmt)
        return Outcome(kind, request, key, text=text, to_asker=to_asker)

    # ------------------------------------------------------------------ after sending
    def delivered(self, outcome: Outcome) -> None:
        """The person got ``outcome``'s message: count it (answers only), once per update and chat."""
        request = outcome.request
        if outcome.kind is not OutcomeKind.ANSWER:
            return
        key = (request.update_id, request.chat_id)
        if key in self._counted:
            return
        self._counted[key] = True
        if outcome.reply is not None:
            self.recent.add(request.chat_id, outcome.reply.used_ids)
        self.metrics.photos.labels(outcome.reason).inc()
        for emotion, _ in outcome.emotions:
            self.metrics.faces.labels(emotion).inc()
        if outcome.emotions:
            self.storage.record_analysis(
                update_id=request.update_id, user_id=request.subject_id, chat_id=request.chat_id,
                chat_type=request.chat_type, emotions=list(outcome.emotions), model_version=outcome.model_version,
                when=datetime.now(UTC),
            )

    def undeliverable(self, outcome: Outcome) -> None:
        """Nothing of ``outcome`` could be sent (logged by the sender): not counted."""
        self.metrics.photos.labels("undelivered").inc()
