"""The training levers: losses, mixing, schedule, teachers and the warm start from an exported model."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from inference.training.export import build_metadata, export_onnx, quantize_int8
from inference.training.ferplus import FERPLUS_LABELS
from inference.training.net import EmotionNet
from inference.training.teachers import (
    load_soft_predictions,
    predict_onnx,
    save_soft_predictions,
    teacher_targets,
    warm_start,
)
from inference.training.train import TrainConfig, mix_batch, one_cycle_lr, to_tensor, training_loss

C = len(FERPLUS_LABELS)


def _batch(n: int = 16, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, C, generator=gen) * 3
    target = torch.softmax(torch.randn(n, C, generator=gen) * 2, 1)
    log_prior = torch.log(torch.softmax(torch.randn(C, generator=gen), 0))
    return logits, target, log_prior


def test_loss_levers_are_valid_and_do_what_they_say() -> None:
    logits, target, log_prior = _batch()
    plain = training_loss(logits, target, TrainConfig(), log_prior)
    assert torch.isfinite(plain) and plain > 0
    assert plain == pytest.approx(float(torch.sum(-target * F.log_softmax(logits, 1), 1).mean()))

    smoothed = training_loss(logits, target, TrainConfig(label_smoothing=0.1), log_prior)
    expected = torch.sum(-(0.9 * target + 0.1 / C) * F.log_softmax(logits, 1), 1).mean()
    assert torch.isfinite(smoothed) and smoothed == pytest.approx(float(expected))

    adjusted = training_loss(logits, target, TrainConfig(logit_adjust=1.0), log_prior)
    expected = torch.sum(-target * F.log_softmax(logits + log_prior, 1), 1).mean()
    assert adjusted == pytest.approx(float(expected)) and adjusted != pytest.approx(float(plain))

    # distillation: a teacher that agrees with the student adds nothing; a disagreeing one adds a positive KL
    config = TrainConfig(distill_weight=1.0, distill_temp=2.0)
    agreeing = training_loss(logits, target, config, log_prior, torch.softmax(logits, 1))
    assert float(agreeing) == pytest.approx(0, abs=1e-5)
    assert float(training_loss(logits, target, config, log_prior, target)) > 0.01


def test_loss_gradient_flows_through_every_lever() -> None:
    logits, target, log_prior = _batch()
    logits.requires_grad_(True)
    config = TrainConfig(label_smoothing=0.05, logit_adjust=0.5, distill_weight=0.5)
    loss = training_loss(logits, target, config, log_prior, torch.softmax(torch.randn(16, C), 1))
    loss.backward()
    assert logits.grad is not None and torch.isfinite(logits.grad).all() and logits.grad.abs().sum() > 0


@pytest.mark.parametrize("kind", ["mixup", "cutmix"])
def test_mixing_keeps_distributions(kind: str) -> None:
    x = torch.randn(32, 1, 48, 48)
    _, target, _ = _batch(32)
    teacher = torch.softmax(torch.randn(32, C), 1)
    config = TrainConfig(mixup=0.4 if kind == "mixup" else 0.0, cutmix=0.4 if kind == "cutmix" else 0.0)
    mixed, (t_mixed, teacher_mixed) = mix_batch(x, [target, teacher], config, np.random.default_rng(3))
    assert mixed.shape == x.shape and not torch.equal(mixed, x)
    for t in (t_mixed, teacher_mixed):
        assert torch.allclose(t.sum(1), torch.ones(32)) and (t >= 0).all()
    if kind == "cutmix":  # pixels come unchanged from one of the pair
        assert torch.isin(mixed, x).all()
    same, targets = mix_batch(x, [target], TrainConfig(), np.random.default_rng(3))
    assert same is x and targets[0] is target


def test_one_cycle_schedule() -> None:
    total = 1000
    lrs = [one_cycle_lr(s, total, 0.05, 0.2) for s in range(total)]
    assert lrs[0] == pytest.approx(0.05 / 25)
    assert max(lrs) == pytest.approx(0.05) and int(np.argmax(lrs)) == 200
    assert lrs[-1] < 1e-4 and all(a >= b for a, b in itertools.pairwise(lrs[200:]))


def test_teacher_files_roundtrip_and_ensemble(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    rows = np.array([10, 3, 7, 42, 5])
    probs = rng.dirichlet(np.ones(C), len(rows)).astype(np.float32)
    first = save_soft_predictions(tmp_path / "a.npz", probs, rows, FERPLUS_LABELS, "test")
    other = rng.dirichlet(np.ones(C), len(rows)).astype(np.float32)
    second = save_soft_predictions(tmp_path / "b.npz", other, rows, FERPLUS_LABELS, "test")
    wanted = np.array([5, 10, 42])  # another order, a subset
    loaded = load_soft_predictions(first, wanted, FERPLUS_LABELS)
    assert loaded.dtype == np.float32 and np.allclose(loaded, probs[[4, 0, 3]], atol=2e-3)
    assert np.allclose(loaded.sum(1), 1, atol=1e-6)
    both = teacher_targets([first, second], np.zeros((3, 48, 48), np.uint8), wanted, FERPLUS_LABELS)
    assert np.allclose(both, (probs[[4, 0, 3]] + other[[4, 0, 3]]) / 2, atol=2e-3)
    with pytest.raises(ValueError, match="lacks"):
        load_soft_predictions(first, np.array([99]), FERPLUS_LABELS)
    with pytest.raises(ValueError, match="labels"):
        load_soft_predictions(first, wanted, tuple(reversed(FERPLUS_LABELS)))


def _random_net(widths: tuple[int, ...] = (4, 8)) -> EmotionNet:
    torch.manual_seed(0)
    net = EmotionNet(C, widths)
    for module in net.modules():  # non-trivial batch norms, as after training
        if isinstance(module, torch.nn.BatchNorm2d):
            assert module.running_mean is not None and module.running_var is not None
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.uniform_(-0.2, 0.2)
    return net.eval()


def test_warm_start_reproduces_an_exported_model(tmp_path: Path) -> None:
    net = _random_net()
    meta = build_metadata(FERPLUS_LABELS, model_version="t", training_data="t")
    fp32 = export_onnx(net, tmp_path / "m.onnx", meta)
    faces = np.random.default_rng(1).integers(0, 256, (64, 48, 48), dtype=np.uint8)
    x = to_tensor(faces)
    student = warm_start(EmotionNet(C, (4, 8)), fp32, x).eval()
    with torch.no_grad():
        assert torch.allclose(student(x), net(x), atol=1e-4)
    int8 = quantize_int8(fp32, tmp_path / "m8.onnx", faces)
    from_int8 = warm_start(EmotionNet(C, (4, 8)), int8, x).eval()
    with torch.no_grad():
        agree = (from_int8(x).argmax(1) == net(x).argmax(1)).float().mean()
    assert agree > 0.9
    with pytest.raises(ValueError):
        warm_start(EmotionNet(C, (4, 8, 16)), fp32, x)
    onnx_probs = predict_onnx(fp32, faces, flip=False)
    with torch.no_grad():
        assert np.allclose(onnx_probs, torch.softmax(net(x), 1).numpy(), atol=1e-4)


def test_prior_shift_restores_the_prior_of_a_balanced_model() -> None:
    from inference.training.prior import fit_prior_shift

    rng = np.random.default_rng(0)
    log_prior = np.log(np.array([0.5, 0.3, 0.1, 0.05, 0.03, 0.01, 0.005, 0.005]))
    balanced = rng.normal(0, 1.5, (6000, C))  # what a logit-adjusted model outputs
    z = balanced + log_prior
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    labels = np.array([rng.choice(C, p=row) for row in p])
    shift, tried = fit_prior_shift(balanced, labels, log_prior, FERPLUS_LABELS)
    assert 0.7 <= shift <= 1.0  # the Bayes-optimal shift is 1
    assert tried[shift][0] > tried[0.0][0]  # more accurate than the balanced argmax
