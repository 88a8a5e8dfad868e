"""A loopback HTTP server that serves one large file, for the download benchmark.

Run as `python -m bench.fileserver SIZE_BYTES`: it listens on 127.0.0.1 on
a free port, prints the port on one line, and serves `GET /file.png` (any
path) with SIZE_BYTES bytes until it is terminated. The body is generated
block by block, so the server holds one 1 MiB block, never the whole file.
It runs in its own process so that its memory and CPU do not count
against the client being measured.
"""

from __future__ import annotations

import random
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
BLOCK_SIZE = 1024 * 1024


def make_block() -> bytes:
    """Return 1 MiB of seeded random bytes that starts with the PNG signature."""
    rest = random.Random(3).randbytes(BLOCK_SIZE - len(PNG_SIGNATURE))
    return PNG_SIGNATURE + rest


class FileHandler(BaseHTTPRequestHandler):
    """Serve `server.size` bytes as image/png for every GET."""

    server: FileServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        size = self.server.size
        block = self.server.block
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        sent = 0
        while sent < size:
            chunk = block[: min(len(block), size - sent)]
            self.wfile.write(chunk)
            sent += len(chunk)

    def log_message(self, format: str, *args: object) -> None:
        """Keep the benchmark output clean: no access log."""


class FileServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, size: int) -> None:
        super().__init__(("127.0.0.1", 0), FileHandler)
        self.size = size
        self.block = make_block()


def main() -> int:
    size = int(sys.argv[1])
    server = FileServer(size)
    print(server.server_address[1], flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
