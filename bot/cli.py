"""The ``shelly`` command. Each subcommand lives in its own module under ``bot.commands`` and is
imported only when used, so ``shelly analyze`` never pays for Telegram or database imports."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# subcommand -> (module under bot.commands, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "analyze": ("analyze", "read the faces in photos and print their moods"),
    "setup-models": ("setup_models", "install the face-detector model into models/ (no network at run time)"),
    "train": ("train", "train an emotion classifier (FER+ or your own folder of photos)"),
    "eval": ("evaluate", "evaluate an emotion model on the FER+ test split, next to the anchor"),
    "db": ("db", "database schema: upgrade / downgrade / current"),
    "run": ("run", "start Shelly (Telegram with a token, the local playground without)"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="shelly", description="Shelly the Supporting Shellfish")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        module = importlib.import_module(f"bot.commands.{module_name}")
        sub_parser = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(sub_parser)
        sub_parser.set_defaults(_module=module)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args._module.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
