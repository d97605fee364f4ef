"""``shelly setup-models``: put the face-detector model into ``models/`` and derive its int8 copy (idempotent)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.settings import MODELS_DIR


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--models-dir", type=Path, default=MODELS_DIR, help="where to write centerface.onnx")
    parser.add_argument("--force", action="store_true", help="download and rewrite even if already installed")


def run(args: argparse.Namespace) -> int:
    from inference.model_setup import SetupError, install_centerface

    target = args.models_dir / "centerface.onnx"
    try:
        changed = install_centerface(target, force=args.force)
    except (SetupError, OSError) as exc:
        print(f"setup-models: {exc}", file=sys.stderr)
        return 1
    print(f"{'installed' if changed else 'already installed'}: {target}")
    from inference.detect.quantize import int8_path, quantize_centerface

    try:
        derived = quantize_centerface(target, force=changed or args.force)
    except Exception as exc:  # the float model alone still works: say so, do not fail the setup
        print(f"setup-models: could not derive the int8 detector ({type(exc).__name__}: {exc}); "
              "the float model will be used for every pass", file=sys.stderr)
    else:
        print(f"{'derived' if derived else 'already derived'}: {int8_path(target)}")
    emotion = args.models_dir / "shelly-emotion.onnx"
    if not emotion.is_file():
        print(f"note: the emotion model {emotion} is not there yet (train/export it with `shelly train`)")
    return 0
