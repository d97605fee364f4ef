"""python-telegram-bot's HTTP transport on aiohttp instead of httpx.

Every photo costs the bot three or four Bot API requests (getUpdates, getFile, the download, sendPhoto). Through
httpx each cost ~1.7 ms of the main process's CPU on a 2-core test machine; aiohttp's client (C-accelerated HTTP
parsing, no per-request async-library detection) a tenth of that (``python -m benchmarks.http_client``). Same
contract as PTB's ``HTTPXRequest``: default timeouts per kind, a longer write timeout for uploads,
:class:`telegram.error.TimedOut` for every timeout and :class:`telegram.error.NetworkError` for every other
transport failure.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from urllib.parse import urlsplit

import aiohttp
from aiohttp.helpers import get_env_proxy_for_url
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from yarl import URL

log = logging.getLogger(__name__)


class AiohttpRequest(BaseRequest):
    """One aiohttp session (keep-alive connections, at most ``connection_pool_size``) per instance.

    aiohttp has no write timeout of its own: a request as a whole is bounded by the sum of its four timeouts, so a
    stalled upload ends in ``TimedOut`` like a stalled read."""

    __slots__ = ("_connect", "_media_write", "_pool", "_pool_size", "_proxy_for", "_read", "_session", "_write")

    def __init__(self, *, connection_pool_size: int = 256, read_timeout: float | None = 5.0,
                 write_timeout: float | None = 5.0, connect_timeout: float | None = 5.0,
                 pool_timeout: float | None = 1.0, media_write_timeout: float | None = 20.0) -> None:
        self._pool_size = connection_pool_size
        self._read, self._write, self._connect, self._pool = read_timeout, write_timeout, connect_timeout, pool_timeout
        self._media_write = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._proxy_for: dict[tuple[str, str], tuple[URL | None, aiohttp.BasicAuth | None]] = {}

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size)
            self._session = aiohttp.ClientSession(connector=connector, headers={"User-Agent": self.USER_AGENT},
                                                  timeout=aiohttp.ClientTimeout(total=None))
            self._proxy_for = {}

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        read = self._read if isinstance(read_timeout, DefaultValue) else read_timeout
        write = (self._media_write if files else self._write) if isinstance(write_timeout, DefaultValue) \
            else write_timeout
        connect = self._connect if isinstance(connect_timeout, DefaultValue) else connect_timeout
        pool = self._pool if isinstance(pool_timeout, DefaultValue) else pool_timeout
        body: aiohttp.FormData | dict[str, str] | None = None
        if request_data is not None:
            body = request_data.json_parameters
            if files:
                form = aiohttp.FormData(body)
                for name, (filename, content, mimetype) in files.items():
                    form.add_field(name, content, filename=filename, content_type=mimetype)
                body = form
        waits = (read, write, connect, pool)
        overall = None if None in waits else math.fsum(w for w in waits if w is not None)
        acquire = None if pool is None or connect is None else pool + connect  # a pooled connection, or a new one
        timeout = aiohttp.ClientTimeout(total=None, connect=acquire, sock_connect=connect, sock_read=read)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(overall):
                proxy, proxy_auth = self._proxy(url)
                async with self._session.request(method, url, data=body, timeout=timeout, proxy=proxy,
                                                 proxy_auth=proxy_auth) as response:
                    status, content = response.status, await response.read()
        except TimeoutError as err:  # asyncio's and aiohttp's ServerTimeoutError/ConnectionTimeoutError alike
            log.debug("%s %s: timed out", method, endpoint(url))
            raise TimedOut from err
        except aiohttp.ClientError as err:
            log.debug("%s %s: %s", method, endpoint(url), type(err).__name__)
            # the URL carries the bot token: never in a message that may be logged
            raise NetworkError(f"aiohttp.{type(err).__name__}: {str(err).replace(url, '<url>')}") from err
        log.debug("%s %s: %d in %.1f ms", method, endpoint(url), status, (time.perf_counter() - started) * 1000)
        return status, content

    def _proxy(self, url: str) -> tuple[URL | None, aiohttp.BasicAuth | None]:
        """HTTP(S)_PROXY / NO_PROXY (and a proxy's ~/.netrc login) from the environment, as with httpx; looked up
        once per host, not per request (aiohttp's ``trust_env`` does that in a thread on every request)."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "")
        if key not in self._proxy_for:
            try:
                self._proxy_for[key] = get_env_proxy_for_url(URL(url))
            except LookupError:  # no proxy for this URL
                self._proxy_for[key] = (None, None)
        return self._proxy_for[key]


def endpoint(url: str) -> str:
    """What a Bot API URL asks for, without the token it carries: the method's name, or "file" for a download."""
    return "file" if "/file/bot" in url else url.rsplit("/", 1)[-1]
