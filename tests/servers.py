"""Real servers for the endpoint tests, all on 127.0.0.1 at free ports, all stopped by their own PID
or handle (never by name).

- `Oxigraph`: the real `oxigraph serve` (or `serve-read-only`) from PyPI in a temporary directory.
- `FaultServer`: Python's http.server in a thread, answering the way broken or wrong endpoints do:
  500 to everything, never answering, a plain static file server, a malformed results document,
  401 asking for credentials. `closed_port()` gives a port nothing listens on.
"""
from __future__ import annotations

import http.server
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    return free_port()


def oxigraph_binary() -> str:
    beside = Path(sys.executable).parent / "oxigraph"
    found = str(beside) if beside.is_file() else shutil.which("oxigraph")
    if not found:
        raise RuntimeError("the `oxigraph` server is not installed: pip install -e '.[test]'")
    return found


def wait_listening(port: int, process: subprocess.Popen | None = None, wait: float = 30.0) -> None:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with status {process.returncode} before listening on {port}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listened on {HOST}:{port} within {wait} s")


class Oxigraph:
    """`oxigraph serve --location DIR --bind 127.0.0.1:PORT`, stopped by its PID."""

    def __init__(self, location: Path | None = None, read_only: bool = False):
        self._tmp = None
        if location is None:
            self._tmp = tempfile.mkdtemp(prefix="fkgraph-test-oxigraph-")
            location = Path(self._tmp) / "store"
        self.location = Path(location)
        self.read_only = read_only
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def url(self) -> str:
        return self.base + "/query"

    def start(self) -> "Oxigraph":
        argv = [oxigraph_binary(), "serve-read-only" if self.read_only else "serve",
                "--location", str(self.location), "--bind", f"{HOST}:{self.port}"]
        self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        wait_listening(self.port, self.process)
        return self

    def stop(self) -> None:
        p, self.process = self.process, None
        if p is not None and p.poll() is None:
            os.kill(p.pid, 15)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(p.pid, 9)
                p.wait()
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class _Handler(http.server.BaseHTTPRequestHandler):
    mode = "500"
    release: threading.Event

    def log_message(self, *args):  # quiet
        pass

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.server.hits += 1
        mode = self.server.mode
        if mode == "auth":
            if self.headers.get("Authorization") == self.server.expect_auth:
                self._send(200, "application/sparql-results+json", b'{"head": {}, "boolean": true}')
            else:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="sparql"')
                self.send_header("Content-Length", "0")
                self.end_headers()
            return
        if mode == "hang":
            self.server.release.wait(60)
            return
        if mode == "500":
            self._send(500, "text/plain", b"Internal Server Error: the store is on fire\n")
        elif mode == "401":
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="sparql"')
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif mode == "malformed":
            self._send(200, "application/sparql-results+json", b'{"head": {"vars": ["x"]}, "results": {"bindings": [{"x": ')
        elif mode == "wrong-shape":
            self._send(200, "application/sparql-results+json", b'{"head": {"vars": ["x"]}, "rows": []}')
        elif mode == "html":
            self._send(200, "text/html", b"<html><body><h1>Welcome to our portal</h1></body></html>")

    def _send(self, code: int, ctype: str, body: bytes):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = _answer


class FaultServer:
    """A misbehaving HTTP server in a thread: mode is 500, hang, 401, malformed, wrong-shape, html,
    or static (a plain file server over `directory`)."""

    def __init__(self, mode: str, directory: Path | None = None):
        self.mode = mode
        if mode == "static":
            import functools
            handler = functools.partial(_QuietFiles, directory=str(directory))
        else:
            handler = _Handler
        self.httpd = http.server.ThreadingHTTPServer((HOST, 0), handler)
        self.httpd.daemon_threads = True
        self.httpd.mode = mode
        self.httpd.release = threading.Event()
        self.httpd.hits = 0
        self.httpd.expect_auth = None
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def hits(self) -> int:
        """Requests received so far."""
        return self.httpd.hits

    def expect_basic(self, user: str, password: str) -> None:
        """In mode "auth": answer only requests carrying these Basic credentials."""
        import base64
        self.httpd.expect_auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(10)


class _QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
