"""Bot-level load benchmark: the real ``shelly run`` (polling) against the repo's Bot API emulator on 127.0.0.1.

Scenarios (80 % selfies — one face, 1280×960 JPEG — and 20 % group photos of three faces, 1280×960):
  a  one user sends 20 photos, each after the previous answer
  b  20 users × 10 photos, each user waiting for the previous answer
  c  a burst of 100 users sending one photo each at once, three times

For each build (``--tree``: a checkout of this repository, run with its own ``.venv`` when it has one; several
builds are run one after the other in ONE invocation so their figures are comparable) and each rate-limiter
setting it prints: photos/s, reply latency p50/p95/p99 (from the user's send to the bot's answer: the annotated
photo, or a "busy" text), the bot's own stage breakdown when the build exports ``shelly_photo_stage_seconds``,
CPU seconds per answered photo for the whole process tree (main + inference workers, from /proc), peak RSS of
that tree, and the number of "busy" replies.

    python -m benchmarks.load                                   # this checkout, limiter on and off
    python -m benchmarks.load --tree /path/to/old=before --tree .=after --limiter on

Bounded and loopback only: every scenario has a deadline, nothing leaves 127.0.0.1. Take figures on a quiet
machine (no training run: pause it), and compare builds only within one run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import os
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import cv2
import numpy as np

from benchmarks import tree_python
from bot.emulator import BotApiEmulator, Chat, User
from tests import photos
from tests.ports import free_port

TOKEN = "4242424242:AAHs7p0pDeMo-LoadBenchToken_abcdefghijk12"
REPO_ROOT = Path(__file__).resolve().parent.parent
SCENARIO_DEADLINE_S = 300.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


# ----------------------------------------------------------------------------- photos
def _selfie() -> bytes:
    return photos.jpeg(cv2.resize(photos.astronaut_bgr(), (1280, 960), interpolation=cv2.INTER_CUBIC), 90)


def _group() -> bytes:
    group = photos.group_photo()
    canvas = np.full((960, 1280, 3), 190, np.uint8)
    scaled = cv2.resize(group, (1280, int(group.shape[0] * 1280 / group.shape[1])), interpolation=cv2.INTER_AREA)
    y = (960 - scaled.shape[0]) // 2
    canvas[y : y + scaled.shape[0]] = scaled
    return photos.jpeg(canvas, 90)


def photo_mix() -> list[bytes]:
    """Five photos in a fixed order: four selfies and one group photo (80 % / 20 %)."""
    selfie, group = _selfie(), _group()
    return [selfie, selfie, group, selfie, selfie]


# ----------------------------------------------------------------------------- the bot's process tree
def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    kids = [int(x) for x in text.split()]
    return kids + [g for k in kids for g in _children(k)]


def _stat(pid: int) -> list[str]:
    raw = Path(f"/proc/{pid}/stat").read_text()
    return raw[raw.rindex(")") + 2 :].split()


def tree_cpu_s(pid: int) -> tuple[float, float]:
    """User + system CPU seconds of (the main process, its children: live descendants and reaped ones)."""
    main = children = 0
    with contextlib.suppress(OSError):
        fields = _stat(pid)
        main = int(fields[11]) + int(fields[12])  # utime stime
        children = int(fields[13]) + int(fields[14])  # cutime cstime: reaped children (recycled workers)
    for child in _children(pid):
        with contextlib.suppress(OSError):
            fields = _stat(child)
            children += int(fields[11]) + int(fields[12])
    return main / CLOCK_TICKS, children / CLOCK_TICKS


def tree_rss_bytes(pid: int) -> int:
    total = 0
    for p in [pid, *_children(pid)]:
        with contextlib.suppress(OSError, IndexError, ValueError):
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * PAGE_SIZE
    return total


class RssSampler:
    def __init__(self, pid: int, every_s: float = 0.02) -> None:
        self.pid, self.every_s, self.peak = pid, every_s, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss_bytes(self.pid))
            self._stop.wait(self.every_s)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# ----------------------------------------------------------------------------- answers
@dataclass
class Answers:
    """Routes the emulator's events to the users waiting for them."""

    busy_texts: tuple[str, ...]
    waiting: dict[int, asyncio.Queue[tuple[float, str]]] = field(default_factory=dict)
    chat_actions: int = 0
    other_texts: int = 0

    def queue(self, chat_id: int) -> asyncio.Queue[tuple[float, str]]:
        return self.waiting.setdefault(chat_id, asyncio.Queue())

    async def pump(self, events: asyncio.Queue[dict[str, Any]]) -> None:
        while True:
            event = await events.get()
            now = time.perf_counter()
            if event.get("type") == "chat_action":
                self.chat_actions += 1
                continue
            if event.get("type") != "message":
                continue
            msg = event.get("message") or {}
            if msg.get("photo"):
                self.queue(event["chat_id"]).put_nowait((now, "answer"))
            elif any(b and b in (msg.get("text") or "") for b in self.busy_texts):
                self.queue(event["chat_id"]).put_nowait((now, "busy"))
            # other texts are follow-ups of a photo answer (long advice) and not counted


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    busy_latencies: list[float] = field(default_factory=list)
    answered: int = 0
    busy: int = 0
    lost: int = 0
    wall_s: float = 0.0


async def _send_and_wait(emu: BotApiEmulator, answers: Answers, user_id: int, data: bytes, result: Result) -> None:
    chat, user = Chat(id=user_id, type="private"), User(id=user_id, first_name=f"u{user_id}", language_code="en")
    queue = answers.queue(user_id)
    sent = time.perf_counter()
    emu.user_sends_photo(chat, user, data)
    try:
        at, kind = await asyncio.wait_for(queue.get(), timeout=120)
    except TimeoutError:
        result.lost += 1
        return
    result.latencies.append(at - sent)
    if kind == "busy":
        result.busy += 1
        result.busy_latencies.append(at - sent)
    else:
        result.answered += 1


async def scenario_a(emu: BotApiEmulator, answers: Answers, mix: list[bytes], base_id: int) -> Result:
    result = Result()
    for i in range(20):
        await _send_and_wait(emu, answers, base_id, mix[i % len(mix)], result)
    return result


async def scenario_b(emu: BotApiEmulator, answers: Answers, mix: list[bytes], base_id: int) -> Result:
    result = Result()

    async def one_user(u: int) -> None:
        for i in range(10):
            await _send_and_wait(emu, answers, base_id + u, mix[(u + i) % len(mix)], result)

    await asyncio.gather(*(one_user(u) for u in range(20)))
    return result


async def scenario_c(emu: BotApiEmulator, answers: Answers, mix: list[bytes], base_id: int) -> Result:
    result = Result()
    for wave in range(3):
        await asyncio.gather(*(_send_and_wait(emu, answers, base_id + wave * 1000 + u, mix[u % len(mix)], result)
                               for u in range(100)))
    return result


SCENARIOS = {"a": scenario_a, "b": scenario_b, "c": scenario_c}


# ----------------------------------------------------------------------------- metrics scraped from the bot
async def scrape_stages(http: aiohttp.ClientSession, url: str) -> dict[str, tuple[float, float]]:
    """{stage: (sum_s, count)} from the bot's /metrics, if the build exports per-stage timings."""
    from prometheus_client.parser import text_string_to_metric_families

    try:
        async with http.get(url) as resp:
            text = await resp.text()
    except aiohttp.ClientError:
        return {}
    out: dict[str, tuple[float, float]] = {}
    for family in text_string_to_metric_families(text):
        if family.name != "shelly_photo_stage_seconds":
            continue
        for sample in family.samples:
            stage = sample.labels.get("stage", "?")
            s, c = out.get(stage, (0.0, 0.0))
            if sample.name.endswith("_sum"):
                out[stage] = (sample.value, c)
            elif sample.name.endswith("_count"):
                out[stage] = (s, sample.value)
    return out


# ----------------------------------------------------------------------------- one build

def _busy_texts() -> tuple[str, ...]:
    """The "busy" reply's first words in every language this checkout knows (enough to recognise it)."""
    from advice import text

    return tuple(text("busy", lang).split("\n")[0][:40] for lang in ("en", "de"))


def _precomputed_photo_sizes() -> None:
    """Telegram's servers make a photo's sizes, not the bot: the emulator makes them once per distinct photo here,
    so this process (the emulator and the simulated users) never becomes the bottleneck being measured."""
    import bot.emulator.state as emulator_state

    if not hasattr(emulator_state.photo_sizes, "cache_info"):
        emulator_state.photo_sizes = functools.lru_cache(maxsize=8)(emulator_state.photo_sizes)  # type: ignore[assignment]


async def run_build(tree: Path, label: str, limiter: bool, scenarios: list[str], workdir: Path) -> list[dict[str, Any]]:
    _precomputed_photo_sizes()
    emu = BotApiEmulator(TOKEN, host="127.0.0.1", port=0, bot_username="shelly_load_bot")
    await emu.start()
    http_port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHELLY_", "TELEGRAM_", "DATABASE_URL"))}
    env.update(
        PYTHONPATH=str(tree), TELEGRAM_BOT_TOKEN=TOKEN,
        SHELLY_TELEGRAM_BASE_URL=emu.base_url, SHELLY_TELEGRAM_BASE_FILE_URL=emu.base_file_url,
        DATABASE_URL=f"sqlite+aiosqlite:///{workdir / (label + '.db')}", SHELLY_AUTO_MIGRATE="1",
        SHELLY_USER_COOLDOWN_S="0", SHELLY_CHAT_COOLDOWN_S="0", SHELLY_HTTP_PORT=str(http_port),
        SHELLY_LOG_LEVEL="WARNING", SHELLY_RATE_LIMITER="on" if limiter else "off",
        SHELLY_JOURNAL_PATH=str(workdir / (label + "-journal.jsonl")),
    )
    log_path = workdir / f"{label}-{'limiter' if limiter else 'nolimiter'}.log"
    proc = _start_bot(tree_python(tree), env, workdir, log_path)
    rows: list[dict[str, Any]] = []
    events = emu.subscribe()
    answers = Answers(busy_texts=_busy_texts())
    pump = asyncio.create_task(answers.pump(events))
    metrics_url = f"http://127.0.0.1:{http_port}/metrics"
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
            await _wait_healthy(http, f"http://127.0.0.1:{http_port}/healthz", proc, log_path)
            mix = photo_mix()
            warm = Result()
            for i in range(3):  # warm-up: model sessions, caches, the database file
                await _send_and_wait(emu, answers, 1, mix[i % len(mix)], warm)
            for n, name in enumerate(scenarios):
                stages_before = await scrape_stages(http, metrics_url)
                actions_before = answers.chat_actions
                cpu_before = tree_cpu_s(proc.pid)
                with RssSampler(proc.pid) as rss:
                    started = time.perf_counter()
                    result = await asyncio.wait_for(
                        SCENARIOS[name](emu, answers, mix, 100_000 * (n + 1)), SCENARIO_DEADLINE_S)
                    result.wall_s = time.perf_counter() - started
                    await asyncio.sleep(0.5)  # let the last follow-ups and writes settle inside the measurement
                cpu_after = tree_cpu_s(proc.pid)
                cpu = (cpu_after[0] - cpu_before[0], cpu_after[1] - cpu_before[1])
                stages_after = await scrape_stages(http, metrics_url)
                rows.append(_row(label, limiter, name, result, cpu, rss.peak, answers.chat_actions - actions_before,
                                 _stage_means(stages_before, stages_after)))
                print(_format(rows[-1]), flush=True)
    finally:
        pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pump
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
        await emu.stop()
    return rows


def _start_bot(python: str, env: dict[str, str], workdir: Path, log_path: Path) -> subprocess.Popen[bytes]:
    with open(log_path, "wb") as log:
        return subprocess.Popen([python, "-m", "bot.cli", "run", "--mode", "polling"], cwd=workdir, env=env,
                                stdout=log, stderr=subprocess.STDOUT)


async def _wait_healthy(http: aiohttp.ClientSession, url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the bot exited with {proc.returncode}; see {log}")
        with contextlib.suppress(aiohttp.ClientError, TimeoutError):
            async with http.get(url) as resp:
                if resp.status == 200:
                    return
        await asyncio.sleep(0.3)
    raise SystemExit(f"the bot did not become healthy in 180 s; see {log}")


def _stage_means(before: dict[str, tuple[float, float]], after: dict[str, tuple[float, float]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for stage, (s, c) in after.items():
        s0, c0 = before.get(stage, (0.0, 0.0))
        if c - c0 > 0:
            out[stage] = 1000 * (s - s0) / (c - c0)
    return out


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) * 1000 if values else float("nan")


def _row(label: str, limiter: bool, scenario: str, r: Result, cpu_s: tuple[float, float], peak_rss: int,
         chat_actions: int, stages: dict[str, float]) -> dict[str, Any]:
    def per_photo(seconds: float) -> float:
        return 1000 * seconds / r.answered if r.answered else float("nan")

    return {
        "build": label, "limiter": "on" if limiter else "off", "scenario": scenario,
        "answered": r.answered, "busy": r.busy, "lost": r.lost,
        "photos_per_s": (r.answered + r.busy) / r.wall_s if r.wall_s else 0.0,
        "p50_ms": _pct(r.latencies, 50), "p95_ms": _pct(r.latencies, 95), "p99_ms": _pct(r.latencies, 99),
        "max_ms": max(r.latencies) * 1000 if r.latencies else float("nan"),
        "busy_p50_ms": _pct(r.busy_latencies, 50), "busy_max_ms": _pct(r.busy_latencies, 100),
        "cpu_ms_per_photo": per_photo(sum(cpu_s)), "main_cpu_ms_per_photo": per_photo(cpu_s[0]),
        "worker_cpu_ms_per_photo": per_photo(cpu_s[1]),
        "peak_rss_mb": peak_rss / 2**20, "chat_actions": chat_actions, "stage_ms": stages,
    }


def _format(row: dict[str, Any]) -> str:
    stages = " ".join(f"{k}={v:.1f}" for k, v in row["stage_ms"].items()) or "n/a"
    return (f"{row['build']:>8} limiter={row['limiter']:<3} {row['scenario']}: {row['photos_per_s']:5.1f} photos/s  "
            f"p50 {row['p50_ms']:6.0f} p95 {row['p95_ms']:6.0f} p99 {row['p99_ms']:6.0f} max {row['max_ms']:6.0f} ms  "
            f"CPU {row['cpu_ms_per_photo']:5.1f} ms/photo (main {row['main_cpu_ms_per_photo']:4.1f} + workers "
            f"{row['worker_cpu_ms_per_photo']:4.1f})  peak RSS {row['peak_rss_mb']:5.0f} MB  "
            f"answered {row['answered']} busy {row['busy']} "
            f"(p50 {row['busy_p50_ms']:.0f} max {row['busy_max_ms']:.0f} ms) "
            f"lost {row['lost']}  chat actions {row['chat_actions']}  "
            f"stages(ms) {stages}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tree", action="append", default=[],
                        help="PATH[=LABEL] of a checkout to run (repeatable; default: this checkout)")
    parser.add_argument("--limiter", default="on,off", help="comma list of on/off (default: on,off)")
    parser.add_argument("--scenarios", default="a,b,c", help="comma list of a/b/c (default: a,b,c)")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    args = parser.parse_args(argv)
    trees = []
    for spec in args.tree or [str(REPO_ROOT)]:
        path, _, label = spec.partition("=")
        trees.append((Path(path).resolve(), label or Path(path).resolve().name))
    scenarios = [s for s in args.scenarios.split(",") if s]
    limiters = [x == "on" for x in args.limiter.split(",") if x]
    print(f"machine: {_cpu_model()}, {os.cpu_count()} CPUs; builds: {', '.join(f'{name}={p}' for p, name in trees)}")
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="shelly-load-") as tmp:
        for limiter in limiters:
            for path, label in trees:
                rows += asyncio.run(run_build(path, label, limiter, scenarios, Path(tmp)))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown CPU"


if __name__ == "__main__":
    raise SystemExit(main())
