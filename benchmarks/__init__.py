"""Benchmarks: ``python -m benchmarks.detector``, ``python -m benchmarks.pool``; both: ``python -m benchmarks.run``."""

from __future__ import annotations

import sys
from pathlib import Path


def tree_python(tree: Path) -> str:
    """The interpreter a source tree under comparison runs with: the tree's own ``.venv`` when it has one (its
    pinned dependencies are part of that build), else this benchmark's."""
    own = tree / ".venv" / "bin" / "python"
    return str(own) if own.is_file() else sys.executable
