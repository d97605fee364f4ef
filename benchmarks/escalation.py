"""What the bot's "800 px first, 1280 px when asked" policy costs a worker, per scene of the pipeline set.

    python -m benchmarks.escalation [--repeats 7]

For every scene, Telegram's sizes are made as the repo's emulator makes them (longest side 90/320/800/1280), and
the worker time of each way to read the photo is timed (median, one thread): the 1280 size alone (the policy before
sizes were chosen by need), the 800 size alone, and — for scenes that ask for more pixels — a quick first look at
800 (``thorough=False``) plus the full reading at 1280, next to a full first reading at 800 plus 1280.
"""

from __future__ import annotations

import argparse

from benchmarks.detector import machine, median_ms
from benchmarks.photos import pipeline_set
from bot.emulator.payloads import photo_sizes
from bot.photo_service import wants_more_pixels
from bot.settings import get_settings
from inference.pipeline import Pipeline, PipelineConfig
from tests import photos


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    pipeline = Pipeline.from_config(PipelineConfig.from_settings(get_settings()))
    pipeline.warm_up()
    print(f"machine: {machine()}")
    print("| scene | 1280 only ms | 800 only ms | asks for more | 800 quick + 1280 ms | 800 full + 1280 ms |")
    print("|---|---|---|---|---|---|")
    for name, image, _truth in pipeline_set():
        sizes = {width: data for width, _height, data in photo_sizes(photos.jpeg(image))}
        big, mid = sizes[max(sizes)], sizes.get(800)
        if mid is None or mid is big:
            continue
        big_ms = median_ms(lambda: pipeline.analyze(big), args.repeats)  # noqa: B023 - timed at once
        mid_ms = median_ms(lambda: pipeline.analyze(mid), args.repeats)  # noqa: B023
        why = wants_more_pixels(pipeline.analyze(mid, thorough=False))
        if why is None:
            print(f"| {name} | {big_ms:.1f} | {mid_ms:.1f} | no | | |")
            continue
        quick_ms = median_ms(lambda: pipeline.analyze(mid, thorough=False), args.repeats)  # noqa: B023
        print(f"| {name} | {big_ms:.1f} | {mid_ms:.1f} | {why} | {quick_ms + big_ms:.1f} | {mid_ms + big_ms:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
