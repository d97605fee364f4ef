"""Real ``shelly run`` processes for the deploy tests: their environment, the compose file's one-shot migrate job,
start and health, graceful SIGTERM, and every replica's log printed when a test fails."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp

from bot.emulator import BotApiEmulator
from tests.ports import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]



def tail(path: Path, n: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return ""


async def count_rows(db_url: str, sql: str) -> int:
    import asyncpg
    from sqlalchemy.engine import make_url

    url = make_url(db_url).set(drivername="postgresql")
    conn = await asyncpg.connect(url.render_as_string(hide_password=False), timeout=5)
    try:
        return int(await conn.fetchval(sql))
    finally:
        await conn.close()


def shelly_env(token: str, emulator: BotApiEmulator, database_url: str, **settings: str) -> dict[str, str]:
    """This process's environment without any Shelly settings, plus the ones a replica needs and ``settings``
    (``SHELLY_*`` names)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("SHELLY_") and k not in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL")}
    env.update({
        "PYTHONPATH": str(REPO_ROOT), "TELEGRAM_BOT_TOKEN": token, "DATABASE_URL": database_url,
        "SHELLY_TELEGRAM_BASE_URL": emulator.base_url, "SHELLY_TELEGRAM_BASE_FILE_URL": emulator.base_file_url,
        "SHELLY_HTTP_HOST": "127.0.0.1", "SHELLY_INFERENCE_WORKERS": "1",
    })
    env.update(settings)
    return env


class Replicas:
    def __init__(self, env: dict[str, str], workdir: Path, count: int) -> None:
        self.env, self.workdir = env, workdir
        self.ports = [free_port() for _ in range(count)]
        self.urls = [f"http://127.0.0.1:{p}" for p in self.ports]
        self.logs = [workdir / f"replica{i}.log" for i in range(count)]
        self.procs: list[subprocess.Popen[bytes]] = []

    async def migrate(self) -> None:
        """The compose file's one-shot ``migrate`` service."""
        done = await asyncio.to_thread(
            subprocess.run, [sys.executable, "-m", "bot.cli", "db", "upgrade"], cwd=self.workdir, env=self.env,
            capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr

    async def start(self) -> None:
        for port, log in zip(self.ports, self.logs, strict=True):
            self.procs.append(subprocess.Popen(  # noqa: ASYNC220 - starting is instant
                [sys.executable, "-m", "bot.cli", "run"], cwd=self.workdir,
                env={**self.env, "SHELLY_HTTP_PORT": str(port)}, stdout=log.open("wb"), stderr=subprocess.STDOUT))
        for url, proc, log in zip(self.urls, self.procs, self.logs, strict=True):
            await _wait_healthy(url, proc, log)

    async def stop(self) -> None:
        """SIGTERM, as ``docker compose stop`` sends it; each replica must exit 0 (it has then sent everything it
        ever will and flushed its statistics)."""
        for proc in self.procs:
            proc.send_signal(signal.SIGTERM)
        for proc, log in zip(self.procs, self.logs, strict=True):
            code = await asyncio.to_thread(proc.wait, 60)
            assert code == 0, f"exit {code}:\n{tail(log)}"


@contextlib.asynccontextmanager
async def replicas(env: dict[str, str], workdir: Path, count: int = 2) -> AsyncIterator[Replicas]:
    group = Replicas(env, workdir, count)
    try:
        yield group
    except BaseException:
        for log in group.logs:
            print(f"--- {log.name}\n{tail(log, 80)}")
        raise
    finally:
        for proc in group.procs:
            if proc.poll() is None:
                proc.kill()
                await asyncio.to_thread(proc.wait, 10)


async def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path, within_s: float = 180.0) -> None:
    deadline = asyncio.get_running_loop().time() + within_s
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3)) as http:
        while asyncio.get_running_loop().time() < deadline:
            if proc.poll() is not None:
                raise AssertionError(f"replica exited with {proc.returncode}:\n{tail(log)}")
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with http.get(url + "/healthz") as resp:
                    if resp.status == 200:
                        return
            await asyncio.sleep(0.5)
    raise AssertionError(f"replica {url} not healthy in {within_s}s:\n{tail(log)}")
