"""The inference pool: real photos through process workers, busy queue, timeouts, crash recovery."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import time
from pathlib import Path

import pytest

from inference.errors import AnalysisTimeout, CorruptImage, ModelMissing, PoolBusy, WorkerCrashed
from inference.pipeline import PipelineConfig
from inference.pool import BIG_DECODE_WAIT_S, WORKER_NICENESS, InferencePool, PoolKind
from tests import photos
from tests.inference.pool_helpers import counting_trims, scripted

pytestmark = pytest.mark.timeout(120)
DUMMY = PipelineConfig(detector="centerface", detector_model=Path("unused"), emotion_model=Path("unused"))


async def test_real_photos_in_worker_processes(pipeline_config: PipelineConfig) -> None:
    async with InferencePool(pipeline_config, workers=1, queue_size=4, timeout_s=30) as pool:
        group, coffee = await asyncio.gather(pool.analyze(photos.jpeg(photos.group_photo())),
                                             pool.analyze(photos.jpeg(photos.coffee_bgr()), annotate=False))
        assert len(group.faces) == 3 and group.annotated_jpeg
        assert coffee.faces == () and coffee.annotated_jpeg is None
        with pytest.raises(CorruptImage):
            await pool.analyze(photos.jpeg(photos.astronaut_bgr())[:3000])
        # a worker killed while idle: the next photo is re-run on a fresh worker, not answered with an error
        (pid,) = pool.worker_pids
        await kill_and_wait(pid)
        again = await pool.analyze(photos.jpeg(photos.group_photo()))
        assert len(again.faces) == 3 and pool.worker_pids != [pid]
        # analyses yield the CPU to the main process (admission, "busy" replies, sends)
        (fresh,) = pool.worker_pids
        assert os.getpriority(os.PRIO_PROCESS, fresh) == min(19, os.getpriority(os.PRIO_PROCESS, 0) + WORKER_NICENESS)


async def kill_and_wait(pid: int) -> None:
    """SIGKILL ``pid`` and wait until it is really dead (a zombie or gone), the state a later job meets."""
    os.kill(pid, signal.SIGKILL)
    stat = Path(f"/proc/{pid}/stat")
    while True:
        try:
            if stat.read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X"):  # noqa: ASYNC240 - procfs, instant
                return
        except FileNotFoundError:
            return
        await asyncio.sleep(0.01)


async def test_start_fails_with_missing_model(tmp_path: Path) -> None:
    config = PipelineConfig(detector="centerface", detector_model=tmp_path / "x.onnx", emotion_model=tmp_path / "y")
    with pytest.raises(ModelMissing):
        await InferencePool(config, workers=1, kind="thread").start()


@pytest.mark.parametrize("kind", ["process", "thread"])
async def test_busy_queue_is_refused(kind: PoolKind) -> None:
    async with InferencePool(DUMMY, workers=1, queue_size=2, timeout_s=10, kind=kind, factory=scripted) as pool:
        first = asyncio.create_task(pool.analyze(b"sleep:0.5"))
        await asyncio.sleep(0.2)  # the worker has taken the first job
        queued = [asyncio.create_task(pool.analyze(b"ok")) for _ in range(2)]
        await asyncio.sleep(0)
        assert pool.queue_depth == 2
        with pytest.raises(PoolBusy):
            await pool.analyze(b"ok")
        await asyncio.gather(first, *queued)


@pytest.mark.parametrize("kind", ["process", "thread"])
async def test_timeout(kind: PoolKind) -> None:
    async with InferencePool(DUMMY, workers=1, queue_size=4, timeout_s=0.5, kind=kind, factory=scripted) as pool:
        with pytest.raises(AnalysisTimeout):
            await pool.analyze(b"sleep:1.5")
        assert (await pool.analyze(b"ok")).image_size == (1, 1)


async def test_crashed_worker_is_replaced() -> None:
    async with InferencePool(DUMMY, workers=2, queue_size=8, timeout_s=10, factory=scripted) as pool:
        results = await asyncio.gather(pool.analyze(b"crash"), pool.analyze(b"sleep:0.3"), pool.analyze(b"bad"),
                                       return_exceptions=True)
        assert isinstance(results[0], WorkerCrashed)
        assert not isinstance(results[1], BaseException)  # the other worker's job is unaffected
        assert isinstance(results[2], CorruptImage)
        after = await asyncio.gather(*(pool.analyze(b"ok") for _ in range(4)))
        assert all(a.model_version.startswith("pid-") for a in after)


async def test_close_lets_in_flight_jobs_finish() -> None:
    pool = InferencePool(DUMMY, workers=1, queue_size=4, timeout_s=10, factory=scripted, kind="thread")
    assert not pool.alive
    await pool.start()
    assert pool.alive
    jobs = [asyncio.create_task(pool.analyze(b"sleep:0.2")) for _ in range(3)]
    await asyncio.sleep(0.05)
    await pool.close()
    assert not pool.alive
    assert all(job.done() and not job.exception() for job in jobs)
    with pytest.raises(Exception, match="not running"):
        await pool.analyze(b"ok")


async def test_idle_workers_killed_then_jobs_rerun_once() -> None:
    async with InferencePool(DUMMY, workers=2, queue_size=8, timeout_s=10, factory=scripted) as pool:
        before = set(pool.worker_pids)
        for pid in before:
            await kill_and_wait(pid)
        results = await asyncio.gather(*(pool.analyze(b"ok") for _ in range(4)))
        served_by = {int(r.model_version.removeprefix("pid-")) for r in results}
        assert served_by and not served_by & before and served_by <= set(pool.worker_pids)
        # a worker that dies *while* analysing is the job's doing: no re-run, the job fails alone
        with pytest.raises(WorkerCrashed):
            await pool.analyze(b"crash")


async def test_big_pictures_are_analysed_one_at_a_time() -> None:
    """The workers share one slot for big pictures: their analyses never overlap (their memory never adds up),
    while ordinary photos go on beside them."""
    async with InferencePool(DUMMY, workers=2, queue_size=8, timeout_s=10, factory=scripted) as pool:
        big = [pool.analyze(b"big:0.3") for _ in range(4)]
        results = await asyncio.gather(*big, pool.analyze(b"ok"))
        spans = sorted(tuple(float(t) for t in r.model_version.split(":")[1:]) for r in results[:4])
        assert all(end <= next_start for (_, end), (next_start, _) in itertools.pairwise(spans))


async def test_a_worker_killed_holding_the_big_picture_slot_does_not_block_the_others() -> None:
    async with InferencePool(DUMMY, workers=2, queue_size=8, timeout_s=1.0, factory=scripted) as pool:
        with pytest.raises(AnalysisTimeout):  # the worker is killed holding the slot; the pool reclaims it
            await pool.analyze(b"big:60")
        started = time.monotonic()
        await pool.analyze(b"big:0")
        assert time.monotonic() - started < BIG_DECODE_WAIT_S / 2


async def test_a_worker_trims_its_heap_only_after_growing_well_beyond_its_warmed_up_size() -> None:
    """Ordinary jobs leave the heap alone (a trim costs re-faulted pages on the next photo); a job that left the
    worker ``TRIM_GROWTH_BYTES`` bigger than when it was ready gives memory back."""
    async with InferencePool(DUMMY, workers=1, queue_size=4, timeout_s=10, factory=counting_trims,
                             recycle_rss_mb=4000) as pool:
        for _ in range(5):
            await pool.analyze(b"ok")
        await pool.analyze(b"grow:60")
        assert (await pool.analyze(b"trims")).model_version == "trims-0"
        await pool.analyze(b"grow:100")  # 160 MB more than when ready
        assert (await pool.analyze(b"trims")).model_version == "trims-1"


async def test_label_names_reach_the_worker(pipeline_config: PipelineConfig) -> None:
    async with InferencePool(pipeline_config, workers=1, queue_size=2, timeout_s=30) as pool:
        data = photos.jpeg(photos.astronaut_bgr())
        plain, named = await asyncio.gather(pool.analyze(data), pool.analyze(data, label_names={
            label: "Überraschung" for label in ("neutral", "happiness", "surprise", "sadness", "anger", "disgust",
                                                 "fear", "contempt")}))
        assert plain.faces == named.faces and plain.annotated_jpeg != named.annotated_jpeg
