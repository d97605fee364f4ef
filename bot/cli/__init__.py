"""The ``shelly`` command. Each subcommand lives in its own module under ``bot.cli``; only the one being
run is imported (``shelly --help`` imports none), so ``shelly analyze`` never pays for Telegram or database
imports and ``shelly run`` never imports training code."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# subcommand -> (module under bot.cli, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "analyze": ("analyze", "read the faces in photos and print their moods"),
    "setup-models": ("setup_models", "install the face-detector model into models/ (no network at run time)"),
    "train": ("train", "train an emotion classifier (FER+ or your own folder of photos)"),
    "eval": ("evaluate", "evaluate an emotion model on the FER+ test split, next to the anchor"),
    "db": ("db", "database schema: upgrade / downgrade / current"),
    "run": ("run", "start Shelly (Telegram with a token, the local playground without)"),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser with every subcommand listed; only ``command``'s module is imported, for its arguments."""
    parser = argparse.ArgumentParser(prog="shelly", description="Shelly the Supporting Shellfish")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        sub_parser = sub.add_parser(name, help=help_text, description=help_text)
        if name == command:
            module = importlib.import_module(f"bot.cli.{module_name}")
            module.add_arguments(sub_parser)
            sub_parser.set_defaults(_module=module)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    command = next((arg for arg in args_list if not arg.startswith("-")), None)
    args = build_parser(command).parse_args(args_list)
    return int(args._module.run(args) or 0)
