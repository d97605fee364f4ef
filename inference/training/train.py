"""Training loop: soft-target cross-entropy, batched on-the-fly augmentation, one-cycle LR,
per-epoch validation, resumable checkpoints and a JSON-lines log (for learning curves).

Optional levers (all off by default): mixup / cutmix, label smoothing on top of the vote distributions,
logit-adjusted loss for the rare classes (Menon et al. 2021), photo degradations (``degrade.py``),
knowledge distillation from teacher probabilities, and a warm start from an exported model."""

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
    pct_start: float = 0.2  # share of the one-cycle schedule spent warming up
    mixup: float = 0.0  # Beta(a, a) mixing of batch pairs (0: off)
    cutmix: float = 0.0  # Beta(a, a) box pasting (0: off; with mixup on too, each batch picks one)
    label_smoothing: float = 0.0  # mixes this much of the uniform distribution into the vote targets
    logit_adjust: float = 0.0  # tau of the logit-adjusted loss: logits + tau * log(class prior) while training
    degrade_prob: float = 0.0  # share of faces given one random photo degradation (JPEG, blur, dark, noise, ...)
    distill_weight: float = 0.0  # weight of the KL term towards the teacher probabilities
    distill_temp: float = 2.0
    teachers: tuple[str, ...] = ()  # files the teacher probabilities came from (recorded only)
    init: str = ""  # exported .onnx model to warm-start from (recorded only)


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


def one_cycle_lr(step: int, total: int, max_lr: float, pct_start: float) -> float:
    """Cosine one-cycle: max_lr/25 -> max_lr over ``pct_start`` of the steps, then -> max_lr/1e4.
    A pure function of the step, so a resumed run may change its number of epochs."""
    warm = max(1, int(pct_start * total))
    if step < warm:
        lo, hi, t = max_lr / 25, max_lr, step / warm
    else:
        lo, hi, t = max_lr, max_lr / 25 / 1e4, min(1.0, (step - warm) / max(1, total - warm))
    return hi + (lo - hi) * (1 + math.cos(math.pi * t)) / 2


def soft_cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return torch.sum(-target * F.log_softmax(logits, 1), 1).mean()


def training_loss(
    logits: torch.Tensor,
    target: torch.Tensor,
    config: TrainConfig,
    log_prior: torch.Tensor,
    teacher: torch.Tensor | None = None,
) -> torch.Tensor:
    """Soft cross-entropy with label smoothing and logit adjustment, plus optional distillation (KL · T²)."""
    adjusted = logits + config.logit_adjust * log_prior if config.logit_adjust else logits
    if config.label_smoothing:
        target = (1 - config.label_smoothing) * target + config.label_smoothing / target.shape[1]
    loss = soft_cross_entropy(adjusted, target)
    if teacher is not None and config.distill_weight:
        t = config.distill_temp
        soft = F.softmax(torch.log(teacher.clamp_min(1e-8)) / t, 1)
        kl = F.kl_div(F.log_softmax(adjusted / t, 1), soft, reduction="batchmean") * t * t
        loss = (1 - config.distill_weight) * loss + config.distill_weight * kl
    return loss


def mix_batch(
    x: torch.Tensor, targets: list[torch.Tensor], config: TrainConfig, rng: np.random.Generator
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Mixup or cutmix of the batch with a shuffled copy of itself; targets are mixed by the same share."""
    kinds = [k for k, alpha in (("mixup", config.mixup), ("cutmix", config.cutmix)) if alpha > 0]
    if not kinds or len(x) < 2:
        return x, targets
    kind = kinds[int(rng.integers(len(kinds)))]
    lam = float(rng.beta(config.mixup if kind == "mixup" else config.cutmix,
                         config.mixup if kind == "mixup" else config.cutmix))
    perm = torch.from_numpy(rng.permutation(len(x)))
    if kind == "mixup":
        x = lam * x + (1 - lam) * x[perm]
    else:
        size = x.shape[-1]
        cut = round(size * math.sqrt(1 - lam))
        cy, cx = (int(v) for v in rng.integers(0, size, 2))
        y0, y1 = max(cy - cut // 2, 0), min(cy + (cut + 1) // 2, size)
        x0, x1 = max(cx - cut // 2, 0), min(cx + (cut + 1) // 2, size)
        x = x.clone()
        x[:, :, y0:y1, x0:x1] = x[perm][:, :, y0:y1, x0:x1]
        lam = 1 - (y1 - y0) * (x1 - x0) / (size * size)
    return x, [lam * t + (1 - lam) * t[perm] for t in targets]


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
    *,
    teacher: np.ndarray | None = None,
    init: Path | None = None,
) -> Path:
    """Train, keeping ``best.pt`` (by validation accuracy) and a resumable ``last.pt`` in ``out_dir``.
    ``teacher``: probabilities (N, C) aligned with ``train_pixels`` for distillation; ``init``: an exported
    ONNX model to start from (ignored when resuming)."""
    from inference.training.degrade import random_degrade

    out_dir.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(config.threads)
    seed_everything(config.seed)
    gen = torch.Generator().manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    ytr = torch.from_numpy(train_soft).float()
    tea = None if teacher is None else torch.from_numpy(np.asarray(teacher, np.float32))
    log_prior = torch.log(ytr.mean(0).clamp_min(1e-4))
    xva, yva = to_tensor(val_pixels), torch.from_numpy(val_labels)
    model = EmotionNet(ytr.shape[1], config.widths, config.dropout)
    if init is not None and not (out_dir / "last.pt").exists():
        from inference.training.teachers import warm_start

        pick = rng.choice(len(train_pixels), min(2048, len(train_pixels)), replace=False)
        warm_start(model, init, to_tensor(train_pixels[np.sort(pick)]))
    model = model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    opt = torch.optim.SGD(
        model.parameters(), lr=config.max_lr, momentum=0.9, nesterov=True, weight_decay=config.weight_decay
    )
    steps_per_epoch = math.ceil(len(train_pixels) / config.batch_size)
    total_steps = config.epochs * steps_per_epoch
    start_epoch, best_acc, best_epoch = 0, -1.0, -1
    last_path, best_path, log_path = out_dir / "last.pt", out_dir / "best.pt", out_dir / "log.jsonl"
    if last_path.exists():
        state = torch.load(last_path, weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        gen.set_state(state["gen"])
        if "rng" in state:
            rng.bit_generator.state = state["rng"]
        start_epoch, best_acc, best_epoch = state["epoch"] + 1, state["best_acc"], state["best_epoch"]
        print(f"resumed after epoch {state['epoch']} (best val {best_acc:.4f} at {best_epoch})", flush=True)
    for epoch in range(start_epoch, config.epochs):
        if config.patience and epoch - best_epoch > config.patience:
            print(f"early stop at epoch {epoch}", flush=True)
            break
        model.train()
        t0 = time.time()
        perm = torch.randperm(len(train_pixels), generator=gen)
        total_loss = 0.0
        for b, i in enumerate(range(0, len(train_pixels), config.batch_size)):
            idx = perm[i : i + config.batch_size]
            faces = train_pixels[idx.numpy()]
            if config.degrade_prob:
                faces = random_degrade(faces, rng, config.degrade_prob)
            xb = augment(to_tensor(faces), gen, config.erase_prob)
            targets = [ytr[idx]] + ([] if tea is None else [tea[idx]])
            xb, targets = mix_batch(xb, targets, config, rng)
            xb = xb.contiguous(memory_format=torch.channels_last)
            lr = one_cycle_lr(epoch * steps_per_epoch + b, total_steps, config.max_lr, config.pct_start)
            for group in opt.param_groups:
                group["lr"] = lr
            loss = training_loss(model(xb), targets[0], config, log_prior, targets[1] if tea is not None else None)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total_loss += loss.item() * len(idx)
        proba = predict_proba(model, xva)
        val_acc = float((proba.argmax(1) == yva).float().mean())
        val_loss = float(F.nll_loss(torch.log(proba + 1e-8), yva))
        record = {"epoch": epoch, "train_loss": total_loss / len(train_pixels), "val_loss": val_loss,
                  "val_acc": val_acc, "lr": lr, "seconds": round(time.time() - t0, 1)}
        with log_path.open("a") as fh:
            fh.write(json.dumps(record) + "\n")
        print(json.dumps(record), flush=True)
        if val_acc > best_acc:
            best_acc, best_epoch = val_acc, epoch
            best = {"model": model.state_dict(), "config": asdict(config), "epoch": epoch, "val_acc": val_acc}
            torch.save(best, best_path)
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "rng": rng.bit_generator.state,
                    "gen": gen.get_state(), "epoch": epoch, "best_acc": best_acc, "best_epoch": best_epoch,
                    "config": asdict(config)}, last_path)
    return best_path
