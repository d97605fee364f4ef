"""``shelly analyze PHOTO... [--json] [--annotate OUT.jpg]``: read the faces in photos, no Telegram needed."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("photos", nargs="+", type=Path, help="image files (JPEG, PNG, WebP, HEIC, ...)")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of a summary")
    parser.add_argument("--annotate", type=Path, metavar="OUT.jpg",
                        help="write the annotated picture of a photo with faces here "
                             "(several photos: OUT-1.jpg, OUT-2.jpg, ...)")


def annotated_path(out: Path, index: int, count: int) -> Path:
    return out if count == 1 else out.with_name(f"{out.stem}-{index}{out.suffix or '.jpg'}")


def run(args: argparse.Namespace) -> int:
    from bot.settings import get_settings
    from inference.errors import ImageError, ShellyInferenceError
    from inference.pipeline import Pipeline, PipelineConfig
    from inference.types import Analysis

    try:
        pipeline = Pipeline.from_config(PipelineConfig.from_settings(get_settings()))
    except ShellyInferenceError as exc:
        print(f"shelly analyze: {exc}", file=sys.stderr)
        return 2

    results: list[dict[str, Any]] = []
    failures = 0
    count = len(args.photos)
    for number, path in enumerate(args.photos, start=1):
        try:
            data = path.read_bytes()
            analysis: Analysis = pipeline.analyze(data, annotate=args.annotate is not None)
        except Exception as exc:  # each file on its own: one bad file never hides the others' results
            failures += 1
            if isinstance(exc, OSError):
                reason = exc.strerror or str(exc)
            elif isinstance(exc, ImageError):
                reason = str(exc)
            else:  # a bug, not the file's fault: say so, keep going
                reason = f"internal error while analysing this file ({type(exc).__name__})"
            print(f"{path}: error: {reason}", file=sys.stderr, flush=True)
            results.append({"file": str(path), "error": type(exc).__name__, "message": reason})
            continue
        entry = to_json(analysis, path)
        if args.annotate is not None and analysis.annotated_jpeg is not None:
            out = annotated_path(args.annotate, number, count)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(analysis.annotated_jpeg)
            entry["annotated"] = str(out)
        results.append(entry)
        if not args.json:
            print(summary(analysis, path, entry.get("annotated")), flush=True)
    if args.json:
        print(json.dumps({"results": results}, indent=2))
    return 1 if failures else 0


def to_json(analysis: Any, path: Path) -> dict[str, Any]:
    return {
        "file": str(path),
        "image_size": list(analysis.image_size),
        "model_version": analysis.model_version,
        "faces": [
            {
                "index": face.index,
                "box": [round(v, 1) for v in face.box],
                "landmarks": [[round(x, 1), round(y, 1)] for x, y in face.landmarks],
                "detection_score": round(face.detection_score, 4),
                "top_emotion": face.top_emotion,
                "confidence": round(face.confidence, 4),
                "emotions": {label: round(p, 4) for label, p in face.emotions.items()},
            }
            for face in analysis.faces
        ],
        "timings_ms": analysis.timings_ms,
    }


def summary(analysis: Any, path: Path, annotated: str | None) -> str:
    w, h = analysis.image_size
    n = len(analysis.faces)
    lines = [f"{path} ({w}×{h}): {n} face{'s' if n != 1 else ''}, {analysis.timings_ms.get('total', 0):.0f} ms"]
    for face in analysis.faces:
        x, y, bw, bh = face.box
        runner_up = sorted(face.emotions.items(), key=lambda kv: -kv[1])[1:3]
        others = ", ".join(f"{label} {p:.0%}" for label, p in runner_up)
        lines.append(f"  #{face.index} at ({x:.0f}, {y:.0f}) {bw:.0f}×{bh:.0f}: {face.top_emotion} "
                     f"{face.confidence:.0%} (then {others})")
    if annotated:
        lines.append(f"  annotated picture: {annotated}")
    return "\n".join(lines)
