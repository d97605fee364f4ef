"""The ``shelly`` command imports only the subcommand it runs."""

from __future__ import annotations

import json
import subprocess
import sys

from bot.cli import SUBCOMMANDS

PROBE = """
import contextlib, io, json, sys
from bot.cli import main
with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()) as out:
    main(sys.argv[1:])
heavy = ("telegram", "torch", "sqlalchemy", "onnxruntime", "cv2")
print(json.dumps({"help": out.getvalue(),
                  "commands": sorted(m for m in sys.modules if m.startswith("bot.cli.")),
                  "heavy": sorted(m for m in heavy if m in sys.modules)}))
"""


def _probe(*argv: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, timeout=120,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_help_lists_every_subcommand_without_importing_any() -> None:
    result = _probe("--help")
    assert all(name in str(result["help"]) for name in SUBCOMMANDS)
    assert result["commands"] == [] and result["heavy"] == []


def test_a_subcommand_imports_only_its_own_module() -> None:
    result = _probe("db", "--help")
    assert "upgrade" in str(result["help"])
    assert result["commands"] == ["bot.cli.db"]
    assert "torch" not in result["heavy"] and "telegram" not in result["heavy"]
