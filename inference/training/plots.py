"""PNG plots for the model card: confusion matrix, learning curves, reliability diagram (matplotlib, Agg)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np


def confusion_png(matrix: Sequence[Sequence[int]], labels: Sequence[str], path: Path, title: str) -> Path:
    """Row-normalised confusion matrix (recall on the diagonal), with counts."""
    counts = np.asarray(matrix, dtype=np.float64)
    norm = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(7, 6))
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(labels)):
        for j in range(len(labels)):
            colour = "white" if norm[i, j] > 0.5 else "black"
            ax.text(j, i, f"{norm[i, j]:.2f}\n{int(counts[i, j])}", ha="center", va="center", fontsize=7, color=colour)
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true (FER+ majority)")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def reliability_png(curves: dict[str, dict[str, Any]], path: Path, title: str) -> Path:
    """Reliability diagram: accuracy vs confidence per bin for each named model, with its ECE."""
    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.plot([0, 1], [0, 1], "k--", lw=1, label="perfect calibration")
    for name, rel in curves.items():
        counts = np.asarray(rel["counts"])
        mask = counts > 0
        ax.plot(np.asarray(rel["confidence"])[mask], np.asarray(rel["accuracy"])[mask], "o-",
                label=f"{name} (ECE {rel['ece']:.3f})")
    ax.set_xlabel("confidence (top probability)")
    ax.set_ylabel("accuracy")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def learning_curves_png(log_path: Path, path: Path) -> Path:
    """Train/validation loss and validation accuracy per epoch from a training ``log.jsonl``."""
    records = [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]
    epochs = [r["epoch"] + 1 for r in records]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(epochs, [r["train_loss"] for r in records], label="train (soft CE, augmented)")
    left.plot(epochs, [r["val_loss"] for r in records], label="validation (NLL, majority)")
    left.set_xlabel("epoch")
    left.set_ylabel("loss")
    left.legend()
    right.plot(epochs, [100 * r["val_acc"] for r in records], color="C2")
    right.set_xlabel("epoch")
    right.set_ylabel("PublicTest accuracy, % (flip-averaged)")
    right.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
