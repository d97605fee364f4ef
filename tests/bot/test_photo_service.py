"""The photo service on its own: a real inference pool (threads, the real models), real SQLite storage, no
Telegram. The ``fetch`` callables stand for the Telegram download the handler passes in."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import event

from advice import text as t
from bot.metrics import Metrics
from bot.photo_service import (
    FetchFailed,
    FetchRefused,
    Outcome,
    OutcomeKind,
    PhotoRequest,
    PhotoService,
    classify_failure,
)
from bot.settings import MODELS_DIR, Settings
from bot.storage import ChatSettings, Storage
from inference import errors as ie
from tests import photos

pytestmark = pytest.mark.asyncio(loop_scope="module")

MODELS = (MODELS_DIR / "centerface.onnx", MODELS_DIR / "shelly-emotion.onnx")
SELFIE = photos.jpeg(photos.astronaut_bgr())
PRIVATE_ANN = dict(chat_id=11, chat_type="private", subject_id=11, asker_id=11, language="en", explicit=False)
GROUP = -100777


def settings_for(tmp: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(DATABASE_URL=f"sqlite+aiosqlite:///{tmp / 'shelly.db'}", auto_migrate=True,
                                  inference_workers=1, inference_pool="thread", _env_file=None)
    values.update(overrides)
    return Settings(**values)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def pool(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Any]:
    if missing := [p.name for p in MODELS if not p.exists()]:
        pytest.skip(f"models missing: {missing}")
    from inference.pool import InferencePool

    async with InferencePool.from_settings(settings_for(tmp_path_factory.mktemp("pool"))) as p:
        yield p


@pytest_asyncio.fixture(loop_scope="module")
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    s = Storage.from_settings(settings_for(tmp_path))
    await s.start(run_retention=False)
    yield s
    await s.close()


def service(pool: Any, storage: Storage, capacity: int = 4, **kwargs: Any) -> PhotoService:
    return PhotoService(pool, storage, capacity=capacity, max_image_bytes=20 * 1024 * 1024, metrics=Metrics(),
                        **kwargs)


def request(update_id: int, cooldowns: tuple[float, float] = (0, 0), mode: str = "on_request",
            **fields: Any) -> PhotoRequest:
    values: dict[str, Any] = {**PRIVATE_ANN, **fields}
    chat = ChatSettings(mode=mode, user_cooldown_s=cooldowns[0], chat_cooldown_s=cooldowns[1])  # type: ignore[arg-type]
    return PhotoRequest(update_id=update_id, chat_settings=chat, **values)


def returning(data: bytes) -> Any:
    async def fetch() -> bytes:
        return data
    return fetch


def raising(exc: Exception) -> Any:
    async def fetch() -> bytes:
        raise exc
    return fetch


async def counted(storage: Storage, user_id: int = 11) -> int:
    await storage.flush()
    return (await storage.user_summary(user_id)).total


async def test_selfie_is_answered_with_picture_and_counted_once_even_when_redelivered(pool: Any,
                                                                                      storage: Storage) -> None:
    svc = service(pool, storage)
    outcome = await svc.handle(request(1), returning(SELFIE))
    assert outcome.kind is OutcomeKind.ANSWER and outcome.reason == "answered"
    assert outcome.picture is not None and outcome.picture[:2] == b"\xff\xd8"
    assert outcome.reply is not None and "happ" in outcome.text.lower()
    assert [e for e, _ in outcome.emotions] == ["happiness"]
    assert await counted(storage) == 0  # nothing is counted before the person got the answer
    svc.delivered(outcome)
    svc.delivered(outcome)  # the sender reporting twice
    again = await svc.handle(request(1), returning(SELFIE))  # Telegram redelivering the same update
    svc.delivered(again)
    assert await counted(storage) == 1
    # a fresh service (a restart) sees the redelivered update once more: storage deduplicates it
    service(pool, storage).delivered(again)
    assert await counted(storage) == 1


async def test_a_selfie_costs_no_database_query_on_the_way_to_its_answer(pool: Any, storage: Storage) -> None:
    """Opt-out from memory, no sad face so no look-up of recent moods: the reply path reads nothing."""
    svc = service(pool, storage)
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    event.listen(storage.engine.sync_engine, "before_cursor_execute", record)
    try:
        outcome = await svc.handle(request(3), returning(SELFIE))
    finally:
        event.remove(storage.engine.sync_engine, "before_cursor_execute", record)
    assert outcome.kind is OutcomeKind.ANSWER and [e for e, _ in outcome.emotions] == ["happiness"]
    assert sent == []


async def test_an_answer_that_could_not_be_delivered_is_not_counted(pool: Any, storage: Storage) -> None:
    svc = service(pool, storage)
    outcome = await svc.handle(request(2), returning(SELFIE))
    assert outcome.kind is OutcomeKind.ANSWER
    svc.undeliverable(outcome)
    assert await counted(storage) == 0


async def test_no_face_is_a_text_answer_without_picture_and_not_recorded(pool: Any, storage: Storage) -> None:
    svc = service(pool, storage)
    outcome = await svc.handle(request(3), returning(photos.jpeg(photos.coffee_bgr())))
    assert (outcome.kind, outcome.reason, outcome.picture) == (OutcomeKind.ANSWER, "no_face", None)
    assert outcome.text == t("no_face", "en")
    svc.delivered(outcome)
    assert await counted(storage) == 0


@pytest.mark.parametrize(("fetch", "kind", "key"), [
    (raising(FetchRefused("too_large")), OutcomeKind.REFUSED, "too_large"),
    (raising(FetchRefused("unsupported")), OutcomeKind.REFUSED, "unsupported"),
    (raising(FetchFailed("NetworkError")), OutcomeKind.TRY_AGAIN, "download_failed"),
    (returning(b"\xff\xd8\xff\xe0 not really a jpeg"), OutcomeKind.REFUSED, "unreadable"),
    (returning(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"), OutcomeKind.REFUSED, "unsupported"),
])
async def test_failures_become_kind_answers_in_the_persons_language(pool: Any, storage: Storage, fetch: Any,
                                                                    kind: OutcomeKind, key: str) -> None:
    outcome = await service(pool, storage).handle(request(4, language="de"), fetch)
    assert (outcome.kind, outcome.reason) == (kind, key)
    assert outcome.text == t(key, "de", max_mb=20)


async def test_one_table_maps_every_inference_error() -> None:
    assert classify_failure(ie.PoolBusy()) == (OutcomeKind.BUSY, "busy")
    assert classify_failure(ie.AnalysisTimeout()) == (OutcomeKind.TRY_AGAIN, "timeout")
    assert classify_failure(ie.WorkerCrashed()) == (OutcomeKind.TRY_AGAIN, "error")
    assert classify_failure(ie.TooManyPixels()) == (OutcomeKind.REFUSED, "too_large")
    assert classify_failure(ie.CorruptImage()) == (OutcomeKind.REFUSED, "unreadable")
    assert classify_failure(ie.ModelMissing()) == (OutcomeKind.ERROR, "error")
    assert classify_failure(KeyError("a bug")) == (OutcomeKind.ERROR, "error")


async def test_slow_analysis_times_out_as_try_again(tmp_path: Path, storage: Storage) -> None:
    from inference.pool import InferencePool

    big = photos.jpeg(photos.group_photo())
    settings = settings_for(tmp_path, inference_timeout_s=0.001)
    async with InferencePool.from_settings(settings) as slow_pool:
        outcome = await service(slow_pool, storage).handle(request(5), returning(big))
    assert (outcome.kind, outcome.reason, outcome.text) == (OutcomeKind.TRY_AGAIN, "timeout", t("timeout", "en"))


async def test_group_mode_and_opt_out_gates(pool: Any, storage: Storage) -> None:
    svc = service(pool, storage)
    group = dict(chat_id=GROUP, chat_type="supergroup")
    assert (await svc.handle(request(6, **group), returning(SELFIE))).reason == "mode"
    assert (await svc.handle(request(7, mode="off", explicit=True, **group), returning(SELFIE))).reason == "mode"
    asked = await svc.handle(request(8, explicit=True, **group), returning(SELFIE))
    assert asked.kind is OutcomeKind.ANSWER
    every = await svc.handle(request(9, mode="every_photo", **group), returning(SELFIE))
    assert every.kind is OutcomeKind.ANSWER

    await storage.set_opt_out(11, True)
    try:
        told = await svc.handle(request(10, cooldowns=(10, 0)), returning(SELFIE))
        assert (told.kind, told.reason, told.to_asker) == (OutcomeKind.REFUSED, "already_opted_out", True)
        in_group = await svc.handle(request(11, mode="every_photo", **group), returning(SELFIE))
        assert (in_group.kind, in_group.reason) == (OutcomeKind.SKIP, "opted_out")  # never singled out in a group
    finally:
        await storage.set_opt_out(11, False)


async def test_private_burst_then_one_cooldown_notice_then_silence(pool: Any, storage: Storage) -> None:
    svc = service(pool, storage, private_burst=2)
    kinds = [(await svc.handle(request(20 + i, cooldowns=(10, 3)), returning(SELFIE))) for i in range(4)]
    assert [o.reason for o in kinds] == ["answered", "answered", "cooldown", "cooldown"]
    assert [o.kind for o in kinds[2:]] == [OutcomeKind.REFUSED, OutcomeKind.SKIP]
    assert kinds[2].text == t("cooldown", "en", seconds=10) and kinds[2].to_asker


async def test_beyond_capacity_is_busy_at_once_and_costs_no_cooldown(pool: Any, storage: Storage) -> None:
    svc = service(pool, storage, capacity=1)
    release, downloading = asyncio.Event(), asyncio.Event()

    async def slow_download() -> bytes:
        downloading.set()
        await release.wait()
        return SELFIE

    group = dict(chat_id=GROUP, chat_type="group", mode="every_photo", cooldowns=(10.0, 0.0))
    first = asyncio.create_task(svc.handle(request(30, **group), slow_download))
    await downloading.wait()
    busy = await svc.handle(request(31, asker_id=12, subject_id=12, **group), returning(SELFIE))
    assert (busy.kind, busy.text) == (OutcomeKind.BUSY, t("busy", "en"))
    release.set()
    assert (await first).kind is OutcomeKind.ANSWER
    assert svc.admission.in_flight == 0
    # the person turned away as busy may try again at once: no "slow down"
    retried = await svc.handle(request(32, asker_id=12, subject_id=12, **group), returning(SELFIE))
    assert retried.kind is OutcomeKind.ANSWER


async def test_the_service_imports_nothing_from_telegram() -> None:
    import ast
    import inspect

    import bot.photo_service as module

    tree = ast.parse(inspect.getsource(module))
    imported = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert imported and not {m for m in imported if m.split(".")[0] == "telegram"}
    assert Outcome.__dataclass_params__.frozen  # type: ignore[attr-defined]


async def test_crowd_beyond_max_faces_is_summed_up_but_every_face_is_counted(pool: Any, storage: Storage) -> None:
    svc = service(pool, storage, max_faces=2)
    outcome = await svc.handle(request(40), returning(photos.jpeg(photos.group_photo())))
    assert outcome.reply is not None
    assert len(outcome.reply.faces) == 2 and len(outcome.reply.crowd) == 1 == len(outcome.emotions) - 2
    assert outcome.reply.crowd_line and outcome.reply.crowd_line in outcome.text
    svc.delivered(outcome)
    assert await counted(storage) == 3


async def test_the_picture_is_labelled_in_the_persons_language(pool: Any, storage: Storage) -> None:
    svc = service(pool, storage)
    english = await svc.handle(request(50, language="en"), returning(SELFIE))
    german = await svc.handle(request(51, language="de"), returning(SELFIE))
    assert english.picture is not None and german.picture is not None
    assert english.picture != german.picture  # same photo, same reading: only the drawn words differ
    again = await svc.handle(request(52, language="en"), returning(SELFIE))
    assert again.picture == english.picture
