"""Worker factories for the pool tests; module level so spawned worker processes can import them."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping

import inference.pool
from inference import decode
from inference.errors import CorruptImage
from inference.pipeline import PipelineConfig
from inference.types import Analysis

_held: list[bytearray] = []  # memory a b"grow:<MB>" job keeps, as a leak or a big picture's heap would
_trims = [0]


def _hold(megabytes: float) -> None:
    size = int(megabytes * 2**20)
    block = bytearray(size)
    block[::4096] = b"\x01" * len(range(0, size, 4096))  # resident, not just reserved
    _held.append(block)


class ScriptedPipeline:
    """Behaves according to the bytes it is given: b"crash", b"sleep:<s>", b"bad", b"big:<s>" (holds the pool's
    big-picture slot for s seconds and reports when: "pid-<pid>:<start>:<end>"), b"grow:<MB>" (keeps that much
    more memory, touched), b"trims" (reports the worker's heap trims so far as "trims-<n>"), anything else -> ok."""

    def analyze(self, data: bytes, annotate: bool = True, label_names: Mapping[str, str] | None = None,
                thorough: bool = True) -> Analysis:
        if data.startswith(b"grow:"):
            _hold(float(data.split(b":")[1]))
        if data == b"trims":
            return Analysis(faces=(), image_size=(1, 1), model_version=f"trims-{_trims[0]}")
        if data.startswith(b"big:"):
            with decode._big_decode_slot:
                start = time.time()
                time.sleep(float(data.split(b":")[1]))
                end = time.time()
            return Analysis(faces=(), image_size=(1, 1), model_version=f"pid-{os.getpid()}:{start}:{end}")
        if data == b"crash":
            os._exit(3)
        if data.startswith(b"sleep:"):
            time.sleep(float(data.split(b":")[1]))
        if data == b"bad":
            raise CorruptImage("damaged")
        return Analysis(faces=(), image_size=(1, 1), model_version=f"pid-{os.getpid()}")


def scripted(config: PipelineConfig) -> ScriptedPipeline:
    return ScriptedPipeline()


def counting_trims(config: PipelineConfig) -> ScriptedPipeline:
    """:func:`scripted`, in a worker whose heap trims are counted instead of done and that holds 300 MB once
    ready, as big as a real warmed-up worker with its models and libraries."""
    _hold(300)

    def count() -> None:
        _trims[0] += 1

    inference.pool.release_memory = count  # this worker process only
    return ScriptedPipeline()
