"""A lean fake Slack Web API for the benchmarks, in its own process.

The tests' FakeSlackApi (a thread per connection, every call recorded) costs about as
much CPU per reply as the bot does, and on a shared 2-core loopback that CPU would be
charged to `serve`. Slack's side costs our host nothing, so the benchmarks answer with a
small asyncio server instead. Each benchmark passes ``answer(path, headers, body)``, which
returns the JSON body to send back and may note what it saw in values shared with the
parent (the process is forked, so ``answer`` needs no pickling).
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Answer = Callable[[str, dict[str, str], bytes], bytes]


def _serve(port_out: Any, answer: Answer) -> None:
    import asyncio

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                headers = {k.lower(): v.strip() for k, _, v in (x.partition(":") for x in lines)}
                body = answer(
                    path,
                    headers,
                    await reader.readexactly(int(headers.get("content-length", "0") or 0)),
                )
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port_out.value = server.sockets[0].getsockname()[1]
        await server.serve_forever()

    asyncio.run(main())


@contextmanager
def lean_slack(answer: Answer) -> Iterator[str]:
    """Run the fake; yields its base URL (``http://127.0.0.1:PORT``)."""
    context = multiprocessing.get_context("fork")
    port = context.Value("i", 0)
    process = context.Process(target=_serve, args=(port, answer), daemon=True)
    process.start()
    try:
        deadline = time.monotonic() + 10
        while not port.value and time.monotonic() < deadline:
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port.value}"
    finally:
        process.terminate()
        process.join(5)
