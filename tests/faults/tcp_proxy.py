"""A TCP proxy for fault tests: put it between the bot and PostgreSQL, then make the database
refuse or hang, live, without touching the database itself.

- `PASS`: connections are forwarded both ways.
- `REFUSE`: the listening socket is closed (new connections get ECONNREFUSED) and every open
  connection is cut, as when the database server restarts or the host is gone.
- `HANG`: connections are accepted but no byte is forwarded in either direction, on new and on
  open connections alike, as in a network partition or a frozen server. Bytes are held, not
  dropped: back to `PASS`, they flow on, as when a partition heals.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from enum import StrEnum

log = logging.getLogger(__name__)

CHUNK = 65536


class Mode(StrEnum):
    PASS = "pass"
    REFUSE = "refuse"
    HANG = "hang"


class TcpProxy:
    def __init__(self, upstream_host: str, upstream_port: int, *, host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self.host = host
        self.port = 0
        self.mode = Mode.PASS
        self.accepted = 0  # connections accepted since start, in any mode
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> TcpProxy:
        await self._listen()
        return self

    async def stop(self) -> None:
        self._close_listener()
        self._cut_all()
        self._flowing.set()  # let anything waiting find its connection gone
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def __aenter__(self) -> TcpProxy:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def open_connections(self) -> int:
        return len(self._writers) // 2

    async def set_mode(self, mode: Mode) -> None:
        """Switch what the database looks like from the bot, from the next byte on."""
        self.mode = Mode(mode)
        if mode is Mode.REFUSE:
            self._close_listener()
            self._cut_all()
            self._flowing.set()
            return
        if self._server is None:
            await self._listen()
        if mode is Mode.HANG:
            self._flowing.clear()
        else:
            self._flowing.set()

    async def _listen(self) -> None:
        # The same port every time, so the bot's DATABASE_URL stays valid across a REFUSE.
        self._server = await asyncio.start_server(
            self._accept, self.host, self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    def _close_listener(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    def _cut_all(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _accept(
        self, client_reader: asyncio.StreamReader, client: asyncio.StreamWriter
    ) -> None:
        self.accepted += 1
        self._writers.add(client)
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await self._flowing.wait()  # a hanging database does not even answer the handshake
            if self.mode is Mode.REFUSE or client.transport.is_closing():
                return
            upstream_reader, upstream = await asyncio.open_connection(*self.upstream)
            self._writers.add(upstream)
            try:
                await asyncio.gather(
                    self._pipe(client_reader, upstream), self._pipe(upstream_reader, client)
                )
            finally:
                self._writers.discard(upstream)
        except (OSError, asyncio.IncompleteReadError) as error:
            log.debug("proxy connection ended: %s", type(error).__name__)
        finally:
            self._writers.discard(client)
            client.transport.abort()
            if task is not None:
                self._tasks.discard(task)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(CHUNK):
                await self._flowing.wait()
                if writer.transport.is_closing():
                    return
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                writer.close()
