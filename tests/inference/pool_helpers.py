"""Worker factories for the pool tests; module level so spawned worker processes can import them."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping

from inference import decode
from inference.errors import CorruptImage
from inference.pipeline import PipelineConfig
from inference.types import Analysis


class ScriptedPipeline:
    """Behaves according to the bytes it is given: b"crash", b"sleep:<s>", b"bad", b"big:<s>" (holds the pool's
    big-picture slot for s seconds and reports when: "pid-<pid>:<start>:<end>"), anything else -> ok."""

    def analyze(self, data: bytes, annotate: bool = True, label_names: Mapping[str, str] | None = None,
                thorough: bool = True) -> Analysis:
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
