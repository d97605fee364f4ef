"""Model installation (no network when already installed) and the optional YuNet detector."""

from __future__ import annotations

import os
from pathlib import Path

import onnxruntime as ort
import pytest

from bot.cli import main
from inference.detect import create_detector
from inference.model_setup import CENTERFACE_SHA256, install_centerface, is_installed
from tests import photos

YUNET = Path(os.environ.get("SHELLY_YUNET_ANCHOR", "/work/shared/anchors/face_detection_yunet_2023mar.onnx"))


def test_installed_model_is_dynamic_and_setup_is_idempotent(
    centerface_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert is_installed(centerface_model)
    assert install_centerface(centerface_model) is False  # nothing downloaded
    assert main(["setup-models", "--models-dir", str(centerface_model.parent)]) == 0
    assert "already installed" in capsys.readouterr().out
    session = ort.InferenceSession(str(centerface_model), providers=["CPUExecutionProvider"])
    assert session.get_inputs()[0].shape == ["N", 3, "H", "W"]
    assert len(CENTERFACE_SHA256) == 64


def test_foreign_file_is_not_taken_for_the_model(tmp_path: Path) -> None:
    fake = tmp_path / "centerface.onnx"
    fake.write_bytes(b"not a model")
    assert not is_installed(fake)


@pytest.mark.skipif(not YUNET.is_file(), reason=f"YuNet anchor not at {YUNET} (set SHELLY_YUNET_ANCHOR)")
def test_yunet_option() -> None:
    detector = create_detector("yunet", YUNET)
    found = sorted(detector.detect(photos.group_photo()), key=lambda d: d.box[0])
    assert len(found) == 3 and abs(found[0].box[0] - 181) < 15
    assert found[0].landmarks.shape == (5, 2)
