"""``shelly run``'s own part: settings errors and a schema it may not migrate give one line and exit 2."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bot.cli import run as run_cmd
from bot.settings import Settings


async def test_refuses_to_start_on_out_of_date_schema_when_auto_migrate_is_off(tmp_path: Path, capsys) -> None:
    settings = Settings(TELEGRAM_BOT_TOKEN="1:" + "a" * 35, DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/old.db",
                        auto_migrate=False, _env_file=None)
    assert await run_cmd.serve(settings) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("shelly: storage: ")
    assert "shelly db upgrade" in err
    assert "a" * 35 not in err


def test_auto_migrate_is_on_by_default() -> None:
    assert Settings(_env_file=None).auto_migrate is True


@pytest.mark.parametrize(("env", "named"), [
    ({"SHELLY_MAX_CONCURRENT_UPDATES": "4"}, "SHELLY_MAX_CONCURRENT_UPDATES (4) must exceed"),
    ({"SHELLY_INFERENCE_TIMEOUT_S": "0"}, "SHELLY_INFERENCE_TIMEOUT_S: Input should be greater than 0"),
    ({"SHELLY_HTTP_PORT": "70000", "SHELLY_WRITE_FLUSH_INTERVAL_S": "-1"}, "SHELLY_WRITE_FLUSH_INTERVAL_S"),
    ({"SHELLY_MODE": "webhook", "TELEGRAM_BOT_TOKEN": "1:x"}, "webhook mode needs SHELLY_WEBHOOK_URL"),
    ({"SHELLY_LOG_LEVEL": "loud"}, "SHELLY_LOG_LEVEL 'loud'"),
])
def test_invalid_settings_exit_2_with_one_line(env: dict[str, str], named: str, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)  # no .env
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert run_cmd.run(argparse.Namespace(mode=None, http_port=None)) == 2
    err = capsys.readouterr().err
    assert err.startswith("shelly: settings: ") and err.count("\n") == 1, err
    assert named in err
    assert not (tmp_path / "shelly.db").exists()  # nothing started


def test_cli_registers_run_arguments() -> None:
    parser = argparse.ArgumentParser()
    run_cmd.add_arguments(parser)
    args = parser.parse_args(["--mode", "webhook", "--http-port", "9000"])
    assert args.mode == "webhook" and args.http_port == 9000
