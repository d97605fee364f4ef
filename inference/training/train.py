"""Training loop: soft-target cross-entropy, batched on-the-fly augmentation, one-cycle LR,
per-epoch validation, resumable checkpoints and a JSON-lines log (for learning curves)."""

from __future__ import annotations

import json
import math
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from inference.training.net import EmotionNet

INPUT_SIZE = 48
NORM_MEAN = 0.5
NORM_STD = 0.25


@dataclass
class TrainConfig:
    epochs: int = 30
    batch_size: int = 128
    max_lr: float = 0.05
    weight_decay: float = 5e-4
    seed: int = 0
    threads: int = 2
    widths: tuple[int, ...] = (32, 64, 128, 256)
    dropout: float = 0.3
    erase_prob: float = 0.5
    patience: int = 0  # stop after this many epochs without a better validation score (0: never)
    labels: tuple[str, ...] = field(default_factory=tuple)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def to_tensor(pixels: np.ndarray) -> torch.Tensor:
    """uint8 (N, H, W) -> normalised float (N, 1, H, W)."""
    x = torch.from_numpy(pixels).float().unsqueeze(1) / 255.0
    return (x - NORM_MEAN) / NORM_STD


def augment(x: torch.Tensor, gen: torch.Generator, erase_prob: float) -> torch.Tensor:
    """Random flip, rotation (±12°), scale (0.88-1.12), shift (±8 %), contrast/brightness and erasing."""
    n = x.shape[0]
    angle = (torch.rand(n, generator=gen) * 2 - 1) * math.radians(12)
    scale = 1 + (torch.rand(n, generator=gen) * 2 - 1) * 0.12
    shift = (torch.rand(n, 2, generator=gen) * 2 - 1) * 0.16
    flip = torch.where(torch.rand(n, generator=gen) < 0.5, -1.0, 1.0)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack(
        [torch.stack([cos * flip, -sin, shift[:, 0]], 1), torch.stack([sin * flip, cos, shift[:, 1]], 1)], 1
    )
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    out = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    contrast = 1 + (torch.rand(n, 1, 1, 1, generator=gen) * 2 - 1) * 0.3
    bright = (torch.rand(n, 1, 1, 1, generator=gen) * 2 - 1) * 0.3
    out = out * contrast + bright
    size = x.shape[-1]
    for i in torch.nonzero(torch.rand(n, generator=gen) < erase_prob).flatten().tolist():
        h = int(torch.randint(size // 8, size // 3, (1,), generator=gen))
        w = int(torch.randint(size // 8, size // 3, (1,), generator=gen))
        y0 = int(torch.randint(0, size - h, (1,), generator=gen))
        x0 = int(torch.randint(0, size - w, (1,), generator=gen))
        out[i, :, y0 : y0 + h, x0 : x0 + w] = torch.randn(1, h, w, generator=gen)
    return out


@torch.no_grad()
def predict_proba(model: torch.nn.Module, x: torch.Tensor, batch: int = 512, flip_tta: bool = True) -> torch.Tensor:
    model.eval()
    outs = []
    for i in range(0, len(x), batch):
        xb = x[i : i + batch]
        p = F.softmax(model(xb), 1)
        if flip_tta:
            p = (p + F.softmax(model(torch.flip(xb, dims=[3])), 1)) / 2
        outs.append(p)
    return torch.cat(outs)


def fit(
    train_pixels: np.ndarray,
    train_soft: np.ndarray,
    val_pixels: np.ndarray,
    val_labels: np.ndarray,
    config: TrainConfig,
    out_dir: Path,
) -> Path:
    """Train, keeping ``best.pt`` (by validation accuracy) and a resumable ``last.pt`` in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(config.threads)
    seed_everything(config.seed)
    gen = torch.Generator().manual_seed(config.seed)
    xtr, ytr = to_tensor(train_pixels), torch.from_numpy(train_soft).float()
    xva, yva = to_tensor(val_pixels), torch.from_numpy(val_labels)
    model = EmotionNet(ytr.shape[1], config.widths, config.dropout)
    model = model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    opt = torch.optim.SGD(
        model.parameters(), lr=config.max_lr, momentum=0.9, nesterov=True, weight_decay=config.weight_decay
    )
    steps_per_epoch = math.ceil(len(xtr) / config.batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, config.max_lr, total_steps=config.epochs * steps_per_epoch, pct_start=0.2
    )
    start_epoch, best_acc, best_epoch = 0, -1.0, -1
    last_path, best_path, log_path = out_dir / "last.pt", out_dir / "best.pt", out_dir / "log.jsonl"
    if last_path.exists():
        state = torch.load(last_path, weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        gen.set_state(state["gen"])
        start_epoch, best_acc, best_epoch = state["epoch"] + 1, state["best_acc"], state["best_epoch"]
        print(f"resumed after epoch {state['epoch']} (best val {best_acc:.4f} at {best_epoch})", flush=True)
    for epoch in range(start_epoch, config.epochs):
        if config.patience and epoch - best_epoch > config.patience:
            print(f"early stop at epoch {epoch}", flush=True)
            break
        model.train()
        t0 = time.time()
        perm = torch.randperm(len(xtr), generator=gen)
        total_loss = 0.0
        for i in range(0, len(xtr), config.batch_size):
            idx = perm[i : i + config.batch_size]
            xb = augment(xtr[idx], gen, config.erase_prob).contiguous(memory_format=torch.channels_last)
            loss = torch.sum(-ytr[idx] * F.log_softmax(model(xb), 1), 1).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total_loss += loss.item() * len(idx)
        proba = predict_proba(model, xva)
        val_acc = float((proba.argmax(1) == yva).float().mean())
        val_loss = float(F.nll_loss(torch.log(proba + 1e-8), yva))
        record = {"epoch": epoch, "train_loss": total_loss / len(xtr), "val_loss": val_loss, "val_acc": val_acc,
                  "lr": sched.get_last_lr()[0], "seconds": round(time.time() - t0, 1)}
        with log_path.open("a") as fh:
            fh.write(json.dumps(record) + "\n")
        print(json.dumps(record), flush=True)
        if val_acc > best_acc:
            best_acc, best_epoch = val_acc, epoch
            best = {"model": model.state_dict(), "config": asdict(config), "epoch": epoch, "val_acc": val_acc}
            torch.save(best, best_path)
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                    "gen": gen.get_state(), "epoch": epoch, "best_acc": best_acc, "best_epoch": best_epoch,
                    "config": asdict(config)}, last_path)
    return best_path
