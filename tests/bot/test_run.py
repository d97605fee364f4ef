from __future__ import annotations

import argparse
from pathlib import Path

from bot.commands import run as run_cmd
from bot.settings import Settings


async def test_refuses_to_start_on_out_of_date_schema(tmp_path: Path, capsys) -> None:
    settings = Settings(TELEGRAM_BOT_TOKEN="1:" + "a" * 35, DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/old.db",
                        auto_migrate=False, _env_file=None)
    assert await run_cmd.serve_telegram(settings) == 2
    err = capsys.readouterr().err
    assert "shelly db upgrade" in err
    assert "a" * 35 not in err


def test_cli_registers_run_arguments() -> None:
    parser = argparse.ArgumentParser()
    run_cmd.add_arguments(parser)
    args = parser.parse_args(["--mode", "webhook", "--http-port", "9000"])
    assert args.mode == "webhook" and args.http_port == 9000
