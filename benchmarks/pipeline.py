"""The whole pipeline (decode → detect → align + classify → annotate) with CenterFace vs the YuNet anchor.

    python -m benchmarks.pipeline [--yunet PATH] [--repeats 7]

Each benchmark photo is encoded as a JPEG first, as Telegram delivers them. Uses models/shelly-emotion.onnx
(or SHELLY_EMOTION_MODEL); a generated stand-in with the same input size when it is absent.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

from benchmarks.detector import DEFAULT_ANCHOR, machine
from benchmarks.photos import benchmark_set
from bot.settings import get_settings
from inference.pipeline import Pipeline, PipelineConfig
from tests import photos

STAGES = ("decode", "detect", "classify", "annotate", "total")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--yunet", type=Path, default=Path(os.environ.get("SHELLY_YUNET_ANCHOR", DEFAULT_ANCHOR)))
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    settings = get_settings()
    with tempfile.TemporaryDirectory() as tmp:
        emotion = settings.emotion_model
        if not emotion.is_file():
            from tests.inference.conftest import make_emotion_model

            emotion = make_emotion_model(Path(tmp) / "stand-in.onnx")
            print("(emotion model missing: using a generated stand-in)")
        pipelines = {"centerface": Pipeline.from_config(PipelineConfig("centerface", settings.detector_model, emotion))}
        if args.yunet.is_file():
            pipelines["yunet"] = Pipeline.from_config(PipelineConfig("yunet", args.yunet, emotion))
        else:
            print(f"YuNet anchor not found at {args.yunet}: CenterFace only")
        print(f"machine: {machine()}; repeats {args.repeats}, median ms per stage, summed over the photo set")
        jpegs = [(title, photos.jpeg(image), expected) for title, image, expected in benchmark_set()]
        print("| detector | faces found | " + " | ".join(STAGES) + " |\n|---|---|" + "---|" * len(STAGES))
        sums: dict[str, float] = {}
        for name, pipeline in pipelines.items():
            pipeline.warm_up()
            stage_sums = dict.fromkeys(STAGES, 0.0)
            found = 0
            for _, data, expected in jpegs:
                runs = [pipeline.analyze(data) for _ in range(args.repeats)]
                found += min(len(runs[0].faces), expected)
                for stage in STAGES:
                    stage_sums[stage] += statistics.median(r.timings_ms.get(stage, 0.0) for r in runs)
            sums[name] = stage_sums["total"]
            total_faces = sum(e for _, _, e in jpegs)
            print(f"| {name} | {found}/{total_faces} | " + " | ".join(f"{stage_sums[s]:.0f}" for s in STAGES) + " |")
        if "yunet" in sums:
            print(f"\npipeline total, CenterFace / YuNet = {sums['centerface'] / sums['yunet']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
