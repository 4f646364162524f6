"""A loopback TCP proxy that adds a round trip to every request, as the real Azure Table service would.

Azurite answers on loopback in well under a millisecond; Azure answers from a data centre, tens of
milliseconds away. The proxy holds each chunk the client sends (an HTTP request, for the SDK's GETs) for
`delay` seconds before passing it on, and passes answers back at once, so every request costs one extra
`delay`. It runs on a thread of the benchmark's own process (idle while the measured job runs in its child).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager

ROUND_TRIP = 0.020  # seconds added to each request: a realistic round trip from a UK office to Azure
LABEL = f" through a loopback proxy adding {ROUND_TRIP * 1000:.0f} ms a request"


@contextmanager
def delayed(connection_string: str, delay: float = ROUND_TRIP) -> Iterator[str]:
    """Yield `connection_string` pointed at a proxy in front of its table endpoint, adding `delay` a request."""
    match = re.search(r"TableEndpoint=http://127\.0\.0\.1:(\d+)/", connection_string)
    if match is None:
        raise ValueError("the proxy fronts a loopback Azurite endpoint only")
    loop, ready = asyncio.new_event_loop(), threading.Event()
    holder: dict[str, object] = {}

    async def start() -> None:
        server = await asyncio.start_server(
            lambda r, w: _connection(r, w, int(match.group(1)), delay), host="127.0.0.1", port=0
        )
        holder["server"], holder["port"] = server, server.sockets[0].getsockname()[1]
        ready.set()

    thread = threading.Thread(target=_serve, args=(loop, start), name="latency-proxy", daemon=True)
    thread.start()
    ready.wait(timeout=10)
    try:
        yield connection_string.replace(f":{match.group(1)}/", f":{holder['port']}/")
    finally:
        asyncio.run_coroutine_threadsafe(_stop(holder["server"]), loop).result(timeout=10)  # type: ignore[arg-type]
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


async def _stop(server: asyncio.Server) -> None:
    server.close()
    tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def _serve(loop: asyncio.AbstractEventLoop, start: object) -> None:
    asyncio.set_event_loop(loop)
    loop.run_until_complete(start())  # type: ignore[operator]
    loop.run_forever()


async def _connection(client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter, port: int, delay: float):
    upstream_in, upstream_out = await asyncio.open_connection("127.0.0.1", port)
    with contextlib.suppress(asyncio.CancelledError):  # the proxy is closing: the connection just ends
        await asyncio.gather(_pump(client_in, upstream_out, delay), _pump(upstream_in, client_out, 0.0))


async def _pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter, delay: float) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        while chunk := await source.read(65536):
            if delay:
                await asyncio.sleep(delay)
            sink.write(chunk)
            await sink.drain()
    with contextlib.suppress(ConnectionError, OSError, RuntimeError):
        sink.close()
