"""``shelly analyze`` through the CLI entry point, with real photos."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.settings import get_settings
from tests import photos


@pytest.fixture()
def cli_env(monkeypatch: pytest.MonkeyPatch, emotion_model: Path, centerface_model: Path) -> Iterator[None]:
    monkeypatch.setenv("SHELLY_EMOTION_MODEL", str(emotion_model))
    monkeypatch.setenv("SHELLY_DETECTOR_MODEL", str(centerface_model))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def run_analyze(args: list[str]) -> int:
    import argparse

    from bot.cli import analyze

    parser = argparse.ArgumentParser()
    analyze.add_arguments(parser)
    return analyze.run(parser.parse_args(args))


def test_json_output_and_annotations(cli_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    group, coffee, text = tmp_path / "group.jpg", tmp_path / "coffee.png", tmp_path / "notes.txt"
    group.write_bytes(photos.jpeg(photos.group_photo()))
    coffee.write_bytes(photos.encode(photos.coffee_bgr(), ".png"))
    text.write_text("not a photo")
    rc = run_analyze([str(group), str(text), str(coffee), "--json", "--annotate", str(tmp_path / "out.jpg")])
    captured = capsys.readouterr()
    assert rc == 1  # one bad file, the others still processed
    results = json.loads(captured.out)["results"]
    assert [len(r.get("faces", [])) for r in results] == [3, 0, 0]
    assert results[1]["error"] == "UnsupportedImage" and "notes.txt: error:" in captured.err
    assert [f["index"] for f in results[0]["faces"]] == [1, 2, 3]
    assert (tmp_path / "out-1.jpg").stat().st_size > 10_000
    assert not (tmp_path / "out-2.jpg").exists() and not (tmp_path / "out-3.jpg").exists()  # no photo, no face


def test_human_summary(cli_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    photo = tmp_path / "astronaut.jpg"
    photo.write_bytes(photos.jpeg(photos.astronaut_bgr()))
    assert run_analyze([str(photo)]) == 0
    out = capsys.readouterr().out
    assert "1 face," in out and "#1 at (" in out


def test_batch_reports_every_file_on_its_own(cli_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import numpy as np

    strip = np.full((1, 20000, 3), 90, np.uint8)
    files = {"thin.png": photos.encode(strip, ".png"), "tall.png": photos.encode(strip.transpose(1, 0, 2), ".png"),
             "broken.jpg": photos.jpeg(photos.astronaut_bgr())[:2000], "empty.jpg": b"",
             "astronaut.jpg": photos.jpeg(photos.astronaut_bgr())}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    rc = run_analyze([str(tmp_path / name) for name in files])
    out, err = capsys.readouterr()
    assert rc == 1
    assert "thin.png (20000×1): 0 faces" in out and "tall.png (1×20000): 0 faces" in out
    assert "astronaut.jpg (512×512): 1 face," in out
    assert "broken.jpg: error: the picture is damaged" in err and "empty.jpg: error: the file is empty" in err
    assert "Traceback" not in out + err
