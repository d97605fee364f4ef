"""Run the pipeline off the event loop: a fixed set of workers behind a bounded queue.

Each worker (a process by default, or a thread) builds its pipeline once, warms it up, then serves jobs
one at a time. Per job: a timeout (a stuck process worker is killed and replaced) and crash isolation (a
process worker that dies while analysing fails only its own job with :class:`WorkerCrashed`; a new worker
takes its place). A process worker acknowledges each job before working on it, so a job handed to a worker
that had already died (e.g. killed while idle) is known not to be at fault and is re-run once on a fresh worker.
Transport is small: JPEG/PNG bytes in, an :class:`Analysis` (numbers and the annotated JPEG) out.
Memory: after a job that left it more than ``TRIM_GROWTH_BYTES`` above its size once warmed up, a process worker
returns freed heap to the system (``malloc_trim``) and reports its resident size; a worker above
``recycle_rss_mb`` (e.g. after a huge image) is replaced between jobs. The workers share one slot for big decodes
(:class:`BigDecodeSlot`): two of them never hold a big picture's full-size pixels at once.
Why processes are the default is measured in docs/benchmarks.md ("Thread vs process pool").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing as mp
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any, Literal, Protocol

from inference.decode import share_big_decodes
from inference.errors import AnalysisTimeout, PoolBusy, ShellyInferenceError, WorkerCrashed
from inference.memory import release_memory, resident_bytes
from inference.pipeline import Pipeline, PipelineConfig
from inference.types import Analysis

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger(__name__)

PoolKind = Literal["process", "thread"]


class PipelineLike(Protocol):
    """What a worker runs: anything with :meth:`Pipeline.analyze`'s synchronous signature (tests script one)."""

    def analyze(self, data: bytes, annotate: bool = True, label_names: Mapping[str, str] | None = None,
                thorough: bool = True) -> Analysis:
        ...


PipelineFactory = Callable[[PipelineConfig], PipelineLike]


def build_pipeline(config: PipelineConfig) -> PipelineLike:
    pipeline = Pipeline.from_config(config)
    pipeline.warm_up()
    return pipeline


@dataclass
class _Job:
    data: bytes
    annotate: bool
    label_names: dict[str, str] | None
    future: asyncio.Future[Analysis] = field(repr=False)
    thorough: bool = True


# Ordinary photos grow a warmed-up worker by ~20-90 MB (its heap, and the pages of its libraries it touches); a big
# picture by hundreds. Relative, because a fixed 256 MB was crossed after every job by a worker that started bigger
# (195 MB when spawned from the pool benchmark, whose main module it imports too): a trim after each job then cost
# 2.5-3.5 ms of system time per photo in re-faulted pages.
TRIM_GROWTH_BYTES = 128 * 1024 * 1024
WORKER_NICENESS = 10  # analyses yield the CPU to the main process: admission, "busy" replies and sends come first


BIG_DECODE_WAIT_S = 10.0  # a worker waits at most this long for the big-decode slot, then decodes anyway


class BigDecodeSlot:
    """One big decode at a time across a process pool's workers (given to each at spawn). A worker killed while
    holding it does not block the others: the pool reclaims the slot of a worker it replaces, and a wait longer
    than ``BIG_DECODE_WAIT_S`` goes ahead (memory above the bound, rather than a photo without an answer)."""

    def __init__(self, ctx: Any) -> None:
        self._lock = ctx.Lock()
        self._holder = ctx.Value("i", 0, lock=False)  # pid of the worker holding the slot, 0 when free
        self._held = False

    def __enter__(self) -> BigDecodeSlot:
        self._held = self._lock.acquire(timeout=BIG_DECODE_WAIT_S)
        if self._held:
            self._holder.value = os.getpid()
        else:
            log.warning("waited %.0f s for the big-decode slot; decoding without it", BIG_DECODE_WAIT_S)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._held:
            self._held = False
            self._holder.value = 0
            self._lock.release()

    def reclaim(self, pid: int | None) -> None:
        """Free the slot if ``pid`` (a worker that is gone) died holding it."""
        if pid and self._holder.value == pid:
            self._holder.value = 0
            with contextlib.suppress(ValueError):
                self._lock.release()


def _process_main(conn: Connection, factory: PipelineFactory, config: PipelineConfig,
                  big_decodes: BigDecodeSlot | None = None) -> None:
    """Worker process: build once, report ready (or the startup error), then serve jobs until None."""
    os.nice(WORKER_NICENESS)
    if big_decodes is not None:
        share_big_decodes(big_decodes)
    try:
        pipeline = factory(config)
    except BaseException as exc:
        conn.send(("error", exc))
        return
    trim_above = resident_bytes() + TRIM_GROWTH_BYTES
    conn.send(("ready", None))
    while True:
        try:
            job = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        if job is None:
            return
        conn.send(("started", None))  # from here on, a death of this worker is this job's doing
        data, annotate, label_names, thorough = job
        try:
            reply: tuple[str, Any] = ("ok", pipeline.analyze(data, annotate, label_names, thorough))
        except ShellyInferenceError as exc:
            reply = ("error", exc)
        except Exception as exc:  # unexpected: report it as a crash of this job, keep serving
            log.exception("analysis failed")
            reply = ("error", WorkerCrashed(f"analysis failed: {type(exc).__name__}"))
        del data, job
        resident = resident_bytes()
        if resident > trim_above:  # only after a big image: trimming costs 10-30 ms of re-faulted pages
            release_memory()
            resident = resident_bytes()
        conn.send((*reply, resident))


class _Worker(Protocol):
    async def start(self) -> None: ...
    async def run(self, job: _Job, limit_s: float) -> Analysis: ...
    async def stop(self) -> None: ...


class _ProcessWorker:
    def __init__(self, factory: PipelineFactory, config: PipelineConfig, start_timeout: float,
                 recycle_rss_mb: float, big_decodes: BigDecodeSlot | None = None) -> None:
        self.factory, self.config, self.start_timeout = factory, config, start_timeout
        self.big_decodes = big_decodes
        self.recycle_bytes = recycle_rss_mb * 1024 * 1024
        self.resident = 0  # the worker's resident size after its last job, as it reported it
        self.recycled = 0
        self.ctx = mp.get_context("spawn")  # never fork a process that holds onnxruntime threads
        self.process: Any = None
        self.conn: Connection | None = None

    async def start(self) -> None:
        parent, child = self.ctx.Pipe()
        self.process = self.ctx.Process(target=_process_main, args=(child, self.factory, self.config, self.big_decodes),
                                       daemon=True)
        self.process.start()
        child.close()
        self.conn = parent
        status, payload = await asyncio.to_thread(self._receive, self.start_timeout)
        if status != "ready":
            await self.stop()
            raise payload if isinstance(payload, BaseException) else WorkerCrashed("worker failed to start")

    def _receive(self, timeout: float) -> tuple[str, Any]:
        assert self.conn is not None
        if not self.conn.poll(timeout):
            return ("timeout", None)
        try:
            result: tuple[str, Any] = self.conn.recv()
            return result
        except (EOFError, OSError):
            return ("crashed", None)

    def _exchange(self, job: _Job, timeout: float) -> tuple[str, Any]:
        """Send the job and wait for its result: ("ok" | "error", payload) or "timeout", "crashed", or
        "dead" when the worker was gone before it took the job (the job is not at fault)."""
        assert self.conn is not None and self.process is not None
        if not self.process.is_alive():
            return ("dead", None)
        try:
            self.conn.send((job.data, job.annotate, job.label_names, job.thorough))
        except (BrokenPipeError, OSError):
            return ("dead", None)
        status, _ = self._receive(timeout)
        if status != "started":
            return ("dead", None) if status == "crashed" else (status, None)
        reply = self._receive(timeout)
        if len(reply) == 3:
            status, payload, self.resident = reply
            return (status, payload)
        return reply

    async def run(self, job: _Job, limit_s: float) -> Analysis:
        status, payload = await asyncio.to_thread(self._exchange, job, limit_s)
        if status == "dead":  # handed to a worker that had already died: re-run once on a fresh one
            log.warning("inference worker was dead before taking a job; replacing it and re-running the job")
            await self._replace()
            status, payload = await asyncio.to_thread(self._exchange, job, limit_s)
        if status in ("ok", "error"):
            if self.resident > self.recycle_bytes:
                log.info("recycling an inference worker at %.0f MB resident", self.resident / 2**20)
                self.recycled += 1
                await self._replace()
            if status == "error":
                raise payload
            result: Analysis = payload
            return result
        await self._replace()
        if status == "timeout":
            raise AnalysisTimeout(f"the analysis took longer than {limit_s:g} s")
        raise WorkerCrashed("the worker analysing this photo died; it has been replaced")

    async def _replace(self) -> None:
        await self.stop(kill=True)
        await self.start()

    async def stop(self, kill: bool = False) -> None:
        process, conn = self.process, self.conn
        self.process = self.conn = None
        if conn is not None:
            if not kill:
                with contextlib.suppress(OSError):
                    conn.send(None)
            conn.close()
        if process is not None:
            if kill:
                process.kill()
            await asyncio.to_thread(process.join, 5)
            if process.is_alive():
                process.kill()
                await asyncio.to_thread(process.join, 5)
            if self.big_decodes is not None:
                self.big_decodes.reclaim(process.pid)


class _ThreadWorker:
    """Same contract in a thread: cheaper to start, but a stuck job cannot be killed (the timeout only
    frees the caller) and a crash of native code takes the whole bot down."""

    def __init__(self, factory: PipelineFactory, config: PipelineConfig) -> None:
        self.factory, self.config = factory, config
        self.pipeline: PipelineLike | None = None
        self.lock = threading.Lock()
        self.stuck: asyncio.Future[Analysis] | None = None  # a timed-out job still running in the thread

    async def start(self) -> None:
        self.pipeline = await asyncio.to_thread(self.factory, self.config)

    def _call(self, job: _Job) -> Analysis:
        assert self.pipeline is not None
        with self.lock:
            return self.pipeline.analyze(job.data, job.annotate, job.label_names, job.thorough)

    async def run(self, job: _Job, limit_s: float) -> Analysis:
        if self.stuck is not None:  # the thread is still busy: the next job's clock starts when it is free
            await asyncio.wait([self.stuck])
            self.stuck = None
        task = asyncio.ensure_future(asyncio.to_thread(self._call, job))
        try:
            return await asyncio.wait_for(asyncio.shield(task), limit_s)
        except TimeoutError as exc:
            self.stuck = task
            task.add_done_callback(lambda t: t.cancelled() or t.exception())  # never "exception never retrieved"
            raise AnalysisTimeout(f"the analysis took longer than {limit_s:g} s") from exc

    async def stop(self) -> None:
        self.pipeline = None


class InferencePool:
    """Async facade: ``await pool.start()``, ``await pool.analyze(data)``, ``await pool.close()``."""

    def __init__(
        self,
        config: PipelineConfig,
        *,
        workers: int = 2,
        queue_size: int = 16,
        timeout_s: float = 20.0,
        kind: PoolKind = "process",
        factory: PipelineFactory = build_pipeline,
        start_timeout_s: float = 120.0,
        recycle_rss_mb: float = 350.0,
    ) -> None:
        self.config = config
        self.timeout_s = timeout_s
        self.kind = kind
        big_decodes = BigDecodeSlot(mp.get_context("spawn")) if kind == "process" else None
        self._workers: list[_Worker] = [
            _ProcessWorker(factory, config, start_timeout_s, recycle_rss_mb, big_decodes) if kind == "process"
            else _ThreadWorker(factory, config)
            for _ in range(max(1, workers))
        ]
        self._queue: asyncio.Queue[_Job | None] = asyncio.Queue(maxsize=max(1, queue_size))
        self._tasks: list[asyncio.Task[None]] = []
        self._closed = False
        self._in_flight = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> InferencePool:
        return cls(PipelineConfig.from_settings(settings), workers=settings.inference_workers,
                   queue_size=settings.inference_queue_size, timeout_s=settings.inference_timeout_s,
                   kind=settings.inference_pool)

    @property
    def queue_depth(self) -> int:
        """Jobs waiting for a worker (not counting the ones being analysed)."""
        return self._queue.qsize()

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def worker_pids(self) -> list[int]:
        """Process ids of the live process workers (for health checks, benchmarks and fault tests)."""
        return [w.process.pid for w in self._workers if isinstance(w, _ProcessWorker) and w.process is not None]

    @property
    def recycled(self) -> int:
        """How many times a worker was replaced for memory since the start."""
        return sum(w.recycled for w in self._workers if isinstance(w, _ProcessWorker))

    @property
    def alive(self) -> bool:
        """Started, not closed, and every worker loop still running (for health checks)."""
        return not self._closed and bool(self._tasks) and not any(task.done() for task in self._tasks)

    async def start(self) -> None:
        """Start every worker (models loaded and warmed up); raises e.g. ModelMissing if one cannot start."""
        try:
            await asyncio.gather(*(worker.start() for worker in self._workers))
        except BaseException:
            await asyncio.gather(*(worker.stop() for worker in self._workers), return_exceptions=True)
            raise
        self._tasks = [asyncio.create_task(self._serve(worker)) for worker in self._workers]

    async def analyze(self, data: bytes, annotate: bool = True, label_names: Mapping[str, str] | None = None,
                      thorough: bool = True) -> Analysis:
        """Analyse one photo. ``label_names`` (model label -> word) localises the labels drawn on the
        annotated picture; None draws the model's own (English) labels. ``thorough=False``: see
        :meth:`Pipeline.analyze` (for a first look at a reduced copy when a bigger one can be read next)."""
        if self._closed or not self._tasks:
            raise ShellyInferenceError("the inference pool is not running")
        future: asyncio.Future[Analysis] = asyncio.get_running_loop().create_future()
        try:
            self._queue.put_nowait(_Job(data, annotate, dict(label_names) if label_names else None, future, thorough))
        except asyncio.QueueFull as exc:
            raise PoolBusy("too many photos at once; please try again in a moment") from exc
        return await future

    async def _serve(self, worker: _Worker) -> None:
        while True:
            job = await self._queue.get()
            try:
                if job is None:
                    return
                if job.future.cancelled():
                    continue
                self._in_flight += 1
                try:
                    result = await worker.run(job, self.timeout_s)
                except asyncio.CancelledError:
                    raise
                except BaseException as exc:
                    if not job.future.done():
                        job.future.set_exception(exc)
                else:
                    if not job.future.done():
                        job.future.set_result(result)
                finally:
                    self._in_flight -= 1
            finally:
                self._queue.task_done()

    async def close(self) -> None:
        """Stop taking jobs, let queued and in-flight jobs finish, then stop the workers."""
        if self._closed:
            return
        self._closed = True
        if self._tasks:
            await self._queue.join()
            for _ in self._tasks:
                await self._queue.put(None)
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await asyncio.gather(*(worker.stop() for worker in self._workers), return_exceptions=True)

    async def __aenter__(self) -> InferencePool:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
