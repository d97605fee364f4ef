"""End-to-end recipes behind ``shelly train``: train -> export (int8 ONNX + metadata) -> evaluate."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from inference.training.export import DEFAULT_CROP, read_metadata, write_metadata
from inference.training.ferplus import FERPLUS_LABELS, load_split
from inference.training.metrics import summarise
from inference.training.release import Release, release
from inference.training.teachers import save_soft_predictions, teacher_targets
from inference.training.train import TrainConfig, fit

CALIBRATION_FACES = 1000


@dataclass
class Outcome:
    model: Path
    release: Release
    report: dict[str, Any] = field(default_factory=dict)


def _calibration(pixels: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return pixels[rng.choice(len(pixels), min(CALIBRATION_FACES, len(pixels)), replace=False)]


TEACHER_FILE = "teacher-train.npz"


def train_ferplus(
    npz: Path, out: Path, config: TrainConfig, *, int8: bool = True, export_only: bool = False,
    teachers: Sequence[Path] = (), init: Path | None = None,
) -> Outcome:
    """FER+ recipe: soft vote targets on Training, model selection on PublicTest, report on PrivateTest.
    ``export_only``: skip training and export/evaluate ``out/best.pt`` as it is. ``teachers``: soft-prediction
    files / ONNX models to distil from (their mean); ``init``: an exported model to warm-start from.
    Afterwards the model's own soft predictions on Training are saved as ``out/teacher-train.npz``."""
    train, val, test = load_split(npz, "train", training_targets=True), load_split(npz, "val"), load_split(npz, "test")
    config.labels = FERPLUS_LABELS
    config.teachers = tuple(str(t) for t in teachers)
    config.init = str(init or "")
    if export_only:
        best = out / "best.pt"
        if not best.is_file():
            raise FileNotFoundError(f"nothing to export: {best} does not exist")
    else:
        teacher = teacher_targets(teachers, train.pixels, train.rows, FERPLUS_LABELS) if teachers else None
        best = fit(train.pixels, train.soft, val.pixels, val.majority, config, out, teacher=teacher, init=init)
        save_training_predictions(best, train.pixels, train.rows, out / TEACHER_FILE)
    model = out / "shelly-emotion.onnx"
    shift, log_prior = prior_shift(best, train.soft, val.pixels, val.majority)
    rel = release(
        best, model, class_bias=shift * log_prior if shift else None,
        extra_metrics={"prior_shift": shift} if shift else None,
        calibration_pixels=_calibration(train.pixels, config.seed), check_pixels=test.pixels,
        model_version=f"ferplus-{time.strftime('%Y%m%d')}-seed{config.seed}",
        training_data="FER2013 Training split, FER+ crowd-vote distributions (Barsoum et al. 2016)",
        eval_pixels=test.pixels, eval_labels=test.majority, eval_name="ferplus8_privatetest", int8=int8,
        fp32_path=out / "shelly-emotion-fp32.onnx",
    )
    from inference.training.calibrate import calibrate_on_publictest
    from inference.training.evaluate import OnnxClassifier, evaluate, load_test_set, markdown

    for path in [model] + ([rel.fp32] if rel.int8 else []):
        calibrate_on_publictest(path, npz)
    models = [OnnxClassifier(model)] + ([OnnxClassifier(rel.fp32, name="fp32")] if rel.int8 else [])
    report = evaluate(models, load_test_set(npz))
    served = report["models"][models[0].name]
    summary = {f"{p}_privatetest": {k: round(float(v[k]), 4) for k in ("accuracy", "macro_f1", "ece")} | {"n": v["n"]}
               for p, v in served["protocols"].items()}
    meta = read_metadata(model)
    write_metadata(model, {**meta, "metrics": json.dumps({**json.loads(meta["metrics"]), **summary}, sort_keys=True)})
    (out / "eval.md").write_text(markdown(report))
    (out / "eval.json").write_text(json.dumps(_strip(report), indent=1))
    return Outcome(model, rel, report)


def prior_shift(
    checkpoint: Path, train_soft: np.ndarray, val_pixels: np.ndarray, val_labels: np.ndarray
) -> tuple[float, np.ndarray]:
    """For a logit-adjusted checkpoint: the PublicTest-fitted prior shift (else 0) and the log class prior."""
    from inference.training.export import load_checkpoint
    from inference.training.prior import fit_prior_shift
    from inference.training.train import predict_proba, to_tensor

    log_prior = np.log(np.maximum(train_soft.mean(axis=0), 1e-4)).astype(np.float32)
    model, config = load_checkpoint(checkpoint)
    if not config.get("logit_adjust"):
        return 0.0, log_prior
    log_probs = np.log(predict_proba(model, to_tensor(val_pixels), flip_tta=False).numpy() + 1e-12)
    shift, _ = fit_prior_shift(log_probs, val_labels, log_prior, tuple(config["labels"]))
    return shift, log_prior


def save_training_predictions(checkpoint: Path, pixels: np.ndarray, rows: np.ndarray, path: Path) -> Path:
    """Flip-averaged probabilities of a checkpoint on the Training faces: a distillation teacher for later runs."""
    from inference.training.export import load_checkpoint
    from inference.training.train import predict_proba, to_tensor

    model, config = load_checkpoint(checkpoint)
    probs = predict_proba(model, to_tensor(pixels)).numpy()
    return save_soft_predictions(path, probs, rows, tuple(config["labels"]), f"{checkpoint} (flip-averaged)")


def train_folder(root: Path, out: Path, config: TrainConfig, *, detector_kind: str, detector_model: Path,
                 int8: bool = True) -> Outcome:
    """Custom classes from ``root/<class>/*.jpg``, cropped by the serving pipeline; stratified 70/15/15 split."""
    from inference.align import CropSpec
    from inference.detect import create_detector
    from inference.training.custom import collect_faces, stratified_split

    detector = create_detector("yunet" if detector_kind == "yunet" else "centerface", detector_model)
    faces = collect_faces(root, detector, CropSpec(**DEFAULT_CROP))
    if len(faces.pixels) == 0:
        raise ValueError(f"no usable face in {root} (skipped: {dict(faces.skipped)})")
    tr, va, te = stratified_split(faces.labels, seed=config.seed)
    va = va if len(va) else tr
    te = te if len(te) else va
    soft = np.eye(len(faces.classes), dtype=np.float32)[faces.labels]
    config.labels = faces.classes
    best = fit(faces.pixels[tr], soft[tr], faces.pixels[va], faces.labels[va], config, out)
    model = out / f"emotion-{root.name or 'custom'}.onnx"
    rel = release(
        best, model,
        calibration_pixels=faces.pixels[tr], check_pixels=faces.pixels[te],
        model_version=f"custom-{root.name}-{time.strftime('%Y%m%d')}-seed{config.seed}",
        training_data=f"custom photo folder '{root.name}': {len(faces.pixels)} faces, classes {list(faces.classes)}",
        eval_pixels=faces.pixels[te], eval_labels=faces.labels[te], eval_name="holdout", int8=int8,
        fp32_path=out / f"emotion-{root.name or 'custom'}-fp32.onnx",
    )
    from inference.training.evaluate import OnnxClassifier

    probs = OnnxClassifier(model).predict(faces.pixels[te])
    report = {
        "classes": list(faces.classes),
        "faces": len(faces.pixels),
        "per_class_faces": np.bincount(faces.labels, minlength=len(faces.classes)).tolist(),
        "split": {"train": len(tr), "val": len(va), "test": len(te)},
        "skipped": dict(faces.skipped),
        "skipped_files": faces.skipped_files,
        "test": _strip({"t": summarise(probs, faces.labels[te], faces.classes)})["t"],
    }
    (out / "eval.json").write_text(json.dumps(report, indent=1))
    return Outcome(model, rel, report)


def _strip(report: dict[str, Any]) -> dict[str, Any]:
    """Copy without the per-bin reliability data (kept out of JSON summaries)."""
    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items() if k != "reliability"}
        return value
    return dict(walk(report))
