"""Robustness report: FER+ PrivateTest (8 classes, majority) accuracy under realistic photo degradations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from inference.training.degrade import DEGRADATIONS, Degradation
from inference.training.evaluate import PROTOCOLS, OnnxClassifier, TestSet
from inference.training.metrics import summarise

PROTOCOL = "ferplus8"


def robustness(
    models: Sequence[OnnxClassifier], test: TestSet, degradations: Mapping[str, Degradation] = DEGRADATIONS
) -> dict[str, Any]:
    """Per model: clean and degraded accuracy / macro-F1 / ECE, and the accuracy drop in points."""
    classes = PROTOCOLS[PROTOCOL]
    keep, y = test.targets(PROTOCOL)
    faces = test.pixels[keep]
    variants = {"clean": faces} | {name: degrade(faces) for name, degrade in degradations.items()}
    report: dict[str, Any] = {"protocol": PROTOCOL, "n": len(y), "models": {}}
    for model in models:
        columns = [list(model.labels).index(c) for c in classes]
        rows: dict[str, Any] = {}
        for name, pixels in variants.items():
            probs = model.predict(pixels)[:, columns]
            scores = summarise(probs / probs.sum(axis=1, keepdims=True), y, classes)
            rows[name] = {k: round(float(scores[k]), 4) for k in ("accuracy", "macro_f1", "ece")}
            rows[name]["sadness_recall"] = round(scores["per_class"]["sadness"]["recall"], 4)
        clean = rows["clean"]["accuracy"]
        for entry in rows.values():
            entry["drop_points"] = round(100 * (clean - entry["accuracy"]), 2)
        report["models"][model.name] = rows
    return report


def robustness_markdown(report: dict[str, Any]) -> str:
    names = list(report["models"])
    header = "| degradation | " + " | ".join(f"{n}: acc % (drop) | macro-F1 %" for n in names) + " |"
    lines = [f"FER+ PrivateTest, 8 classes, majority labels, n = {report['n']}", "", header,
             "|---|" + "---|---|" * len(names)]
    for variant in report["models"][names[0]]:
        cells = []
        for name in names:
            e = report["models"][name][variant]
            drop = "" if variant == "clean" else f" ({-e['drop_points']:+.2f})"
            cells.append(f"{100 * e['accuracy']:.2f}{drop} | {100 * e['macro_f1']:.2f}")
        lines.append(f"| {variant} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
