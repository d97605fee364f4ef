"""``shelly train --ferplus`` on a tiny synthetic npz with the real file's layout (no FER data needed)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import cast

import numpy as np
import pytest

from bot.cli import evaluate as eval_command
from bot.cli import train as train_command
from inference.training.evaluate import MeanClassifier, OnnxClassifier
from inference.training.export import read_metadata


def fake_npz(path: Path, rows_per_split: int = 48) -> Path:
    rng = np.random.default_rng(0)
    n = 3 * rows_per_split
    votes = np.zeros((n, 10), np.uint8)
    winner = rng.integers(0, 8, n)
    votes[np.arange(n), winner] = 8
    votes[np.arange(n), 8] = 2
    usage = np.repeat(np.arange(3), rows_per_split).astype(np.int8)
    np.savez(path, pixels=rng.integers(0, 256, (n, 48, 48), dtype=np.uint8),
             emotion=rng.integers(0, 7, n).astype(np.int8), usage=usage, ferplus_votes=votes)
    return path


def parse(module: object, argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    module.add_arguments(parser)  # type: ignore[attr-defined]
    return parser.parse_args(argv)


def test_train_export_and_eval(tmp_path: Path) -> None:
    npz = fake_npz(tmp_path / "fer.npz")
    out = tmp_path / "run"
    argv = ["--ferplus", str(npz), "--out", str(out), "--epochs", "1", "--widths", "4,8", "--batch-size", "32",
            "--threads", "1"]
    assert train_command.run(parse(train_command, argv)) == 0
    assert train_command.run(parse(train_command, argv)) == 2  # refuses to overwrite a run without --resume
    (out / "shelly-emotion.onnx").unlink()
    assert train_command.run(parse(train_command, [*argv, "--export-only"])) == 0  # re-export best.pt as it is
    model = out / "shelly-emotion.onnx"
    meta = read_metadata(model)
    metrics = json.loads(meta["metrics"])
    assert metrics["max_abs_diff_fp32_vs_torch"] < 1e-4
    assert metrics["ferplus8_privatetest"]["n"] == 48
    assert meta["quantization"].startswith("int8")
    assert "fp32" in json.loads((out / "eval.json").read_text())["models"]

    report_dir = tmp_path / "eval"
    log = str(out / "log.jsonl")
    args = parse(eval_command, [str(model), "--data", str(npz), "--out", str(report_dir), "--log", log])
    assert eval_command.run(args) == 0
    results = json.loads((report_dir / "results.json").read_text())
    scores = results["models"]["shelly-emotion"]["protocols"]
    assert set(scores) == {"ferplus8", "ferplus7", "fer2013"} and scores["fer2013"]["n"] == 48
    for png in ("confusion-matrix.png", "calibration.png", "learning-curves.png"):
        assert (report_dir / png).stat().st_size > 1000

    # --ensemble: the mean of the models' probabilities is scored too (an ensemble teacher's worth)
    fp32 = out / "shelly-emotion-fp32.onnx"
    args = parse(eval_command, [str(model), str(fp32), "--ensemble", "--data", str(npz), "--out", str(report_dir)])
    assert eval_command.run(args) == 0
    models = json.loads((report_dir / "results.json").read_text())["models"]
    mean = models["mean of shelly-emotion + shelly-emotion-fp32"]
    assert mean["protocols"]["ferplus8"]["n"] == 48
    assert mean["latency"]["batch1_ms_per_face"] > 0  # the sum of its members' (timed again: not comparable)


def test_an_ensembles_latency_is_the_sum_of_its_members() -> None:
    class Member:
        labels = ("neutral", "happiness")

        def __init__(self, name: str, ms: float) -> None:
            self.name, self.ms = name, ms

        def latency(self, pixels: np.ndarray) -> dict[str, float | None]:
            return {"batch1_ms_per_face": self.ms, "batch8_ms_per_face": None}

    mean = MeanClassifier(cast(list[OnnxClassifier], [Member("a", 0.4), Member("b", 0.7)]))
    assert mean.name == "mean of a + b"
    assert mean.latency(np.zeros((1, 48, 48), np.uint8)) == {"batch1_ms_per_face": pytest.approx(1.1),
                                                              "batch8_ms_per_face": 0.0}


def test_levers_teacher_and_warm_start_end_to_end(tmp_path: Path) -> None:
    npz = fake_npz(tmp_path / "fer.npz")
    base = ["--ferplus", str(npz), "--epochs", "1", "--widths", "4,8", "--batch-size", "32", "--threads", "1"]
    first = tmp_path / "first"
    assert train_command.run(parse(train_command, [*base, "--out", str(first)])) == 0
    teacher = first / "teacher-train.npz"
    with np.load(teacher) as saved:
        assert saved["probs"].dtype == np.float16 and saved["probs"].shape == (48, 8)
        assert np.allclose(saved["probs"].astype(np.float32).sum(1), 1, atol=1e-2)
    assert float(read_metadata(first / "shelly-emotion.onnx")["temperature"]) > 0  # fitted on PublicTest

    second = tmp_path / "second"
    levers = ["--mixup", "0.2", "--cutmix", "0.2", "--label-smoothing", "0.05", "--logit-adjust", "0.5",
              "--degrade", "0.5", "--teacher", str(teacher), "--teacher", str(first / "shelly-emotion.onnx"),
              "--init", str(first / "shelly-emotion-fp32.onnx")]
    assert train_command.run(parse(train_command, [*base, "--out", str(second), *levers])) == 0
    record = json.loads((second / "log.jsonl").read_text().splitlines()[0])
    assert np.isfinite(record["train_loss"]) and record["train_loss"] > 0
    import torch

    config = torch.load(second / "best.pt", weights_only=False)["config"]
    assert config["mixup"] == 0.2 and config["distill_weight"] == 0.5 and len(config["teachers"]) == 2
    assert config["init"].endswith("shelly-emotion-fp32.onnx")
    missing = [*base, "--out", str(tmp_path / "third"), "--teacher", str(tmp_path / "absent.npz")]
    assert train_command.run(parse(train_command, missing)) == 2

    report_dir = tmp_path / "eval"
    model = second / "shelly-emotion.onnx"
    args = parse(eval_command, [str(model), "--data", str(npz), "--out", str(report_dir), "--fit-temperature",
                                "--robustness"])
    assert eval_command.run(args) == 0
    robust = json.loads((report_dir / "robustness.json").read_text())
    assert robust["n"] == 48 and "jpeg_q30" in robust["models"]["shelly-emotion"]
    assert "jpeg_q30" in (report_dir / "robustness.md").read_text()
