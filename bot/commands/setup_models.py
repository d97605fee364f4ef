"""``shelly setup-models``: put the face-detector model into ``models/`` (idempotent)."""

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
    emotion = args.models_dir / "shelly-emotion.onnx"
    if not emotion.is_file():
        print(f"note: the emotion model {emotion} is not there yet (train/export it with `shelly train`)")
    return 0
