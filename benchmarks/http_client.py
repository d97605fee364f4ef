"""The bot's Bot API transport (``bot.telegram_http.AiohttpRequest``) vs python-telegram-bot's ``HTTPXRequest``.

    python -m benchmarks.http_client [--requests 1000] [--concurrency 20]

Both send the same getFile-shaped form POSTs through PTB's ``do_request`` to one aiohttp server on 127.0.0.1 in
this process, interleaved three times; printed is the process CPU time per request (client + the shared server's
share, which is the same for both) and the wall time. Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from aiohttp import web
from telegram.request import BaseRequest, HTTPXRequest, RequestData
from telegram.request._requestparameter import RequestParameter

from benchmarks.detector import machine
from bot.telegram_http import AiohttpRequest


async def _serve() -> tuple[web.AppRunner, str]:
    async def get_file(request: web.Request) -> web.Response:
        await request.post()
        return web.json_response({"ok": True, "result": {"file_id": "x" * 40, "file_path": "photos/file_1.jpg"}})

    app = web.Application()
    app.router.add_post("/bot{token}/getFile", get_file)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}/bot123:abc/getFile"


async def _cpu_ms_per_request(request: BaseRequest, url: str, count: int, concurrency: int) -> tuple[float, float]:
    data = RequestData([RequestParameter.from_input("file_id", "AgACAgIAAxkBAAIB")])
    gate = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with gate:
            status, _ = await request.do_request(url, "POST", data)
            assert status == 200

    await asyncio.gather(*(one() for _ in range(50)))  # warm connections
    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(one() for _ in range(count)))
    return (time.process_time() - cpu) * 1000 / count, (time.perf_counter() - wall) * 1000 / count


async def run(count: int, concurrency: int) -> None:
    runner, url = await _serve()
    transports: dict[str, BaseRequest] = {"PTB HTTPXRequest (httpx)": HTTPXRequest(connection_pool_size=256),
                                          "AiohttpRequest (ours)": AiohttpRequest()}
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in transports}
    try:
        for transport in transports.values():
            await transport.initialize()
        for _ in range(3):
            for name, transport in transports.items():
                results[name].append(await _cpu_ms_per_request(transport, url, count, concurrency))
    finally:
        for transport in transports.values():
            await transport.shutdown()
        await runner.cleanup()
    print(f"machine: {machine()}; {count} POSTs, {concurrency} at a time, 3 interleaved rounds, median")
    print("| transport | CPU ms per request (client + server) | wall ms per request |")
    print("|---|---|---|")
    for name, rows in results.items():
        print(f"| {name} | {statistics.median(r[0] for r in rows):.3f} | {statistics.median(r[1] for r in rows):.3f} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args(argv)
    asyncio.run(run(args.requests, args.concurrency))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
