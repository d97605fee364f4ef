"""``shelly train``: the FER+ model (``--ferplus NPZ``) or a custom one from photo folders (``--data DIR``).

Both train, export an int8 ONNX model with its metadata, and evaluate it; the result can be served with
``SHELLY_EMOTION_MODEL=<out>/emotion-*.onnx``. Needs the ``[train]`` extra (torch).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bot.settings import get_settings


def _widths(text: str) -> tuple[int, ...]:
    try:
        widths = tuple(int(w) for w in text.split(","))
    except ValueError as exc:
        raise argparse.ArgumentTypeError("widths are comma-separated integers, e.g. 32,64,128,256") from exc
    if not widths or min(widths) < 1:
        raise argparse.ArgumentTypeError("widths must be positive")
    return widths


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--ferplus", type=Path, metavar="NPZ", help="fer2013.npz with FER+ votes")
    source.add_argument("--data", type=Path, metavar="DIR", help="one sub-folder of photos per class")
    parser.add_argument("--out", type=Path, required=True, help="run folder: checkpoints, log.jsonl, ONNX, eval")
    parser.add_argument("--epochs", type=int, default=28)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--resume", action="store_true", help="continue from OUT/last.pt")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.05, help="one-cycle peak learning rate")
    parser.add_argument("--widths", type=_widths, default=(32, 64, 128, 256), help="channels per stage")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--fp32", action="store_true", help="ship the float model instead of int8")
    parser.add_argument("--pct-start", type=float, default=0.2, help="warm-up share of the one-cycle schedule")
    parser.add_argument("--mixup", type=float, default=0.0, metavar="ALPHA", help="mixup Beta(a, a) (0: off)")
    parser.add_argument("--cutmix", type=float, default=0.0, metavar="ALPHA", help="cutmix Beta(a, a) (0: off)")
    parser.add_argument("--label-smoothing", type=float, default=0.0, help="uniform share mixed into the votes")
    parser.add_argument("--logit-adjust", type=float, default=0.0, metavar="TAU",
                        help="logit-adjusted loss for rare classes: logits + TAU*log(prior) while training")
    parser.add_argument("--degrade", type=float, default=0.0, metavar="P",
                        help="share of faces given a random photo degradation (JPEG, blur, dark, noise, 24 px)")
    parser.add_argument("--teacher", type=Path, action="append", default=[], metavar="NPZ_OR_ONNX",
                        help="FER+: distil from these soft-prediction files / ONNX models (repeat for an ensemble)")
    parser.add_argument("--distill-weight", type=float, default=0.5, help="weight of the teacher KL term")
    parser.add_argument("--distill-temp", type=float, default=2.0)
    parser.add_argument("--init", type=Path, metavar="ONNX", help="FER+: warm-start from an exported model")
    parser.add_argument("--export-only", action="store_true",
                        help="FER+: do not train, export and evaluate OUT/best.pt (e.g. of a run still going)")


def run(args: argparse.Namespace) -> int:
    from inference.training.train import TrainConfig
    from inference.training.workflow import train_ferplus, train_folder

    out: Path = args.out
    if args.export_only and args.ferplus is None:
        print("--export-only needs --ferplus (the custom recipe always trains)")
        return 2
    if (out / "last.pt").exists() and not (args.resume or args.export_only):
        print(f"{out} already holds a run (last.pt): pass --resume to continue it, or choose another --out")
        return 2
    config = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, max_lr=args.lr, seed=args.seed,
                         threads=args.threads, widths=args.widths, pct_start=args.pct_start, mixup=args.mixup,
                         cutmix=args.cutmix, label_smoothing=args.label_smoothing, logit_adjust=args.logit_adjust,
                         degrade_prob=args.degrade, distill_weight=args.distill_weight if args.teacher else 0.0,
                         distill_temp=args.distill_temp)
    if args.ferplus is not None:
        if not args.ferplus.is_file():
            print(f"not found: {args.ferplus}")
            return 2
        for path in [*args.teacher, *([args.init] if args.init else [])]:
            if not path.is_file():
                print(f"not found: {path}")
                return 2
        outcome = train_ferplus(args.ferplus, out, config, int8=not args.fp32, export_only=args.export_only,
                                teachers=args.teacher, init=args.init)
        from inference.training.evaluate import markdown

        print(markdown(outcome.report))
    else:
        if not args.data.is_dir():
            print(f"not a folder: {args.data}")
            return 2
        settings = get_settings()
        outcome = train_folder(args.data, out, config, detector_kind=settings.detector,
                               detector_model=settings.detector_model, int8=not args.fp32)
        report = outcome.report
        print(json.dumps({k: report[k] for k in ("classes", "faces", "split", "skipped")}))
        print(f"hold-out accuracy {100 * report['test']['accuracy']:.1f} % on {report['test']['n']} faces")
    print(f"model: {outcome.model}  (serve it with SHELLY_EMOTION_MODEL={outcome.model})")
    return 0
