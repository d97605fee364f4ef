"""A Shelly-like process for the SIGTERM test: a Storage from the environment's Settings (as ``shelly run``
builds it), driven by lines on stdin, closed on SIGTERM.

    record FIRST LAST   record updates FIRST..LAST-1 (user = update % 5 + 1), flush, print "ok WRITTEN PENDING"

    python -m tests.storage.journal_child
"""

from __future__ import annotations

import asyncio
import signal
import sys
from datetime import UTC, datetime

from bot.settings import Settings
from bot.storage import Storage


async def main() -> int:
    storage = Storage.from_settings(Settings())
    await storage.start(run_retention=False)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    print("ready", flush=True)
    stopped = asyncio.ensure_future(stop.wait())
    while not stop.is_set():
        line = asyncio.ensure_future(reader.readline())
        await asyncio.wait({line, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if not line.done():
            line.cancel()
            break
        command, first, last = line.result().decode().split()
        assert command == "record"
        for update_id in range(int(first), int(last)):
            storage.record_analysis(
                update_id=update_id, user_id=update_id % 5 + 1, chat_id=-100, chat_type="group",
                emotions=[("happiness", 0.7)], model_version="test", when=datetime.now(UTC),
            )
        written = await storage.flush()
        print(f"ok {written} {storage.pending}", flush=True)
    await storage.close()
    print(f"closed journaled={storage.journaled} pending={storage.pending}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
