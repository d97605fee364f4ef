"""Flood: N heavy photos at once, each from a different person, through the real bot (``shelly run``, polling
the repo's Bot API emulator on 127.0.0.1). Reports how fast the people beyond capacity hear "busy", when the
last answer arrives, and the peak RSS of the bot's whole process tree (main + inference workers, from /proc).

    python -m benchmarks.flood [--photos 100] [--side 7000] [--tree /path/to/other/checkout ...]

``--tree`` runs the same flood against other source trees first (e.g. the main branch as the anchor), each in
its own ``shelly run`` process with that tree first on PYTHONPATH (and its own ``.venv`` when it has one); this
tree always runs last. Heavy photo: a ``side``×``side`` RGBA PNG (a small real face on a plain canvas: small
file, ~side² × 4 bytes decoded), sent as an image document so the emulator keeps it at full size (photos would
be scaled like Telegram does). Bounded: ``--timeout`` seconds per run. Cooldowns off; Telegram's rate limits
on (AIORateLimiter).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from advice import text as message_text
from benchmarks import tree_python
from bot.emulator import BotApiEmulator, Chat, User
from tests import photos
from tests.ports import free_port

TOKEN = "4242424242:AAHs7p0pDeMo-FloodBenchTokenXyZ_abcdefg12"
HERE = Path(__file__).resolve().parents[1]


def heavy_png(side: int) -> bytes:
    canvas = np.full((side, side, 4), 235, np.uint8)
    face = cv2.cvtColor(photos.astronaut_bgr(), cv2.COLOR_BGR2BGRA)
    h, w = face.shape[:2]
    y, x = (side - h) // 2, (side - w) // 2
    canvas[y:y + h, x:x + w] = face
    return photos.encode(canvas, ".png")


def tree_rss_mb(root: int) -> float:
    """RSS of ``root`` and all its descendants (MB), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = Path(f"/proc/{entry}/stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    total_kb, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
    return total_kb / 1024


class PeakSampler(threading.Thread):
    def __init__(self, pid: int, every_s: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.pid, self.every_s, self.peak, self.stop = pid, every_s, 0.0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, tree_rss_mb(self.pid))
            time.sleep(self.every_s)


@dataclass
class Result:
    tree: str
    photos: int
    busy: int
    read: int
    other: int
    busy_p50_s: float
    busy_max_s: float
    last_answer_s: float
    idle_rss_mb: float
    peak_rss_mb: float



async def flood(tree: Path, n: int, payload: bytes, timeout_s: float, workers: int, queue: int,
                limiter: str) -> Result:
    emu = BotApiEmulator(TOKEN)
    await emu.start()
    events = emu.subscribe()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PYTHONPATH": str(tree), "TELEGRAM_BOT_TOKEN": TOKEN,
               "SHELLY_TELEGRAM_BASE_URL": emu.base_url, "SHELLY_TELEGRAM_BASE_FILE_URL": emu.base_file_url,
               "DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/shelly.db", "SHELLY_AUTO_MIGRATE": "1",
               "SHELLY_USER_COOLDOWN_S": "0", "SHELLY_CHAT_COOLDOWN_S": "0", "SHELLY_LOG_LEVEL": "WARNING",
               "SHELLY_HTTP_PORT": str(free_port()), "SHELLY_INFERENCE_WORKERS": str(workers),
               "SHELLY_INFERENCE_QUEUE_SIZE": str(queue), "SHELLY_DATA_DIR": tmp,
               "SHELLY_PSEUDONYM_SECRET": "flood-benchmark-secret-0123456789abcdef", "SHELLY_RATE_LIMITER": limiter}
        log_path = Path(tmp) / "bot.log"
        log_file = log_path.open("wb")
        bot = await asyncio.create_subprocess_exec(tree_python(tree), "-m", "bot.cli", "run", cwd=tmp, env=env,
                                                   stderr=log_file, stdout=log_file)
        sampler = PeakSampler(bot.pid)
        try:
            warm = Chat(id=1, type="private")
            emu.user_sends_photo(warm, User(id=1, first_name="W"), photos.jpeg(photos.astronaut_bgr()))
            await emu.wait_for_bot_messages(1, 1, timeout=300)
            idle = tree_rss_mb(bot.pid)
            while not events.empty():
                events.get_nowait()
            sampler.start()
            sent: dict[int, float] = {}
            answers: dict[int, tuple[float, dict[str, Any]]] = {}
            people = [User(id=10_000 + i, first_name=f"P{i}", language_code="en") for i in range(n)]
            for person in people:
                sent[person.id] = time.monotonic()
                emu.user_sends_document(Chat(id=person.id, type="private"), person, payload, "big.png", "image/png")
            start = min(sent.values())
            deadline = start + timeout_s
            while len(answers) < n and time.monotonic() < deadline:
                with contextlib.suppress(TimeoutError):
                    event = await asyncio.wait_for(events.get(), max(0.01, deadline - time.monotonic()))
                    if event["type"] == "message" and event["chat_id"] in sent:
                        answers.setdefault(event["chat_id"], (time.monotonic(), event["message"]))
            if len(answers) < n:
                print(f"only {len(answers)}/{n} answered; the bot's log ends:\n"
                      + log_path.read_text(errors="replace")[-3000:], file=sys.stderr)
            busy_text = message_text("busy", "en")
            busy = [at - sent[chat] for chat, (at, m) in answers.items() if m.get("text") == busy_text]
            read = sum(1 for _, m in answers.values() if "photo" in m)
            return Result(str(tree), n, len(busy), read, len(answers) - len(busy) - read,
                          statistics.median(busy) if busy else float("nan"), max(busy, default=float("nan")),
                          max((at for at, _ in answers.values()), default=start) - start, idle, sampler.peak)
        finally:
            sampler.stop.set()
            bot.terminate()
            try:
                await asyncio.wait_for(bot.wait(), 60)
            except TimeoutError:
                bot.kill()
                await bot.wait()
            log_file.close()
            await emu.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=100)
    parser.add_argument("--side", type=int, default=7000, help="side of the heavy PNG in pixels")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--queue", type=int, default=16)
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per run")
    parser.add_argument("--limiter", choices=["on", "off"], default="on",
                        help="Telegram rate limiter (SHELLY_RATE_LIMITER, where the tree has that setting)")
    parser.add_argument("--tree", type=Path, action="append", default=[], help="another checkout to run first")
    args = parser.parse_args(argv)
    payload = heavy_png(args.side)
    print(f"{args.photos} × {args.side}×{args.side} RGBA PNG ({len(payload) / 1e6:.2f} MB file, "
          f"{args.side * args.side * 4 / 1e6:.0f} MB decoded) at once, {args.workers} workers, queue {args.queue}, "
          f"rate limiter {args.limiter}; load before: {os.getloadavg()[0]:.1f}")
    print("| tree | photos | busy | read | other | busy p50 s | busy max s | last answer s | idle RSS MB "
          "| peak RSS MB |\n|---|---|---|---|---|---|---|---|---|---|")
    for tree in [*args.tree, HERE]:
        r = asyncio.run(flood(tree.resolve(), args.photos, payload, args.timeout, args.workers, args.queue,
                                args.limiter))
        print(f"| {r.tree} | {r.photos} | {r.busy} | {r.read} | {r.other} | {r.busy_p50_s:.2f} | "
              f"{r.busy_max_s:.2f} | {r.last_answer_s:.1f} | {r.idle_rss_mb:.0f} | {r.peak_rss_mb:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
