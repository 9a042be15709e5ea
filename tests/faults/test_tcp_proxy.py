"""The fault suite's TCP proxy in front of an echo server: it passes, refuses and hangs, and
switches between them live."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tests.faults.tcp_proxy import Mode, TcpProxy


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(1024):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


@pytest.fixture
async def proxy() -> AsyncIterator[TcpProxy]:
    server = await asyncio.start_server(_echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with TcpProxy("127.0.0.1", port) as running:
        yield running
    server.close()


async def ask(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, text: bytes, wait: float = 5.0
) -> bytes:
    writer.write(text)
    await writer.drain()
    return await asyncio.wait_for(reader.readexactly(len(text)), wait)


async def test_pass_forwards_both_ways(proxy: TcpProxy) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    assert await ask(reader, writer, b"hallo") == b"hallo"
    writer.close()


async def test_hang_holds_old_and_new_connections_until_pass(proxy: TcpProxy) -> None:
    old = await asyncio.open_connection("127.0.0.1", proxy.port)
    assert await ask(*old, b"1") == b"1"
    await proxy.set_mode(Mode.HANG)
    with pytest.raises(TimeoutError):
        await ask(*old, b"2", wait=0.3)
    new = await asyncio.open_connection("127.0.0.1", proxy.port)  # accepted, never answered
    with pytest.raises(TimeoutError):
        await ask(*new, b"3", wait=0.3)
    await proxy.set_mode(Mode.PASS)
    # Held bytes flow on, as after a healed partition.
    assert await asyncio.wait_for(old[0].readexactly(1), 5) == b"2"
    assert await asyncio.wait_for(new[0].readexactly(1), 5) == b"3"
    for _, writer in (old, new):
        writer.close()


async def test_refuse_cuts_open_connections_and_refuses_new_ones_on_the_same_port(
    proxy: TcpProxy,
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    assert await ask(reader, writer, b"1") == b"1"
    port = proxy.port
    await proxy.set_mode(Mode.REFUSE)
    try:
        assert await asyncio.wait_for(reader.read(), 5) == b""  # cut: closed...
    except ConnectionResetError:
        pass  # ...or reset
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", port)
    await proxy.set_mode(Mode.PASS)
    assert proxy.port == port
    again = await asyncio.open_connection("127.0.0.1", port)
    assert await ask(*again, b"back") == b"back"
    again[1].close()
