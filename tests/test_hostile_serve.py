"""Hostile endpoints and a hostile public: tiny servers on 127.0.0.1 that drip, flood, nest and
echo; `fkgraph serve` asked to reach out (SERVICE), reached by a foreign Host, and killed.

Every captured output is checked for "internal error" and "Traceback" (`_clean`)."""
from __future__ import annotations

import base64
import os
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
SECRET = "hunter2-s3cret"


def _clean(*texts: str) -> None:
    for text in texts:
        assert "internal error" not in text and "Traceback" not in text, text


def fkgraph(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    environ = {**os.environ, "PYTHONPATH": str(ROOT / "src"), **(env or {})}
    r = subprocess.run([sys.executable, "-m", "fkgraph", "--home", str(ROOT), *args], capture_output=True,
                       text=True, env=environ, timeout=timeout)
    _clean(r.stdout, r.stderr)
    return r


def one_line(r: subprocess.CompletedProcess) -> str:
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    return lines[0]


# ---- hostile endpoints -------------------------------------------------------------------------

NESTED = 5000


def _nested_json(depth: int) -> bytes:
    term = '{"type":"uri","value":"http://a"}'
    for _ in range(depth):
        term = ('{"type":"triple","value":{"subject":{"type":"uri","value":"http://a"},'
                '"predicate":{"type":"uri","value":"http://p"},"object":' + term + '}}')
    return ('{"head":{"vars":["x"]},"results":{"bindings":[{"x":' + term + '}]}}').encode()


def _nested_ntriples(depth: int) -> bytes:
    return (b"<http://a> <http://p> " + b"<<( <http://a> <http://p> " * depth + b"<http://o>"
            + b" )>>" * depth + b" .\n")


class Hostile(socketserver.BaseRequestHandler):
    """One misbehaving answer per mode, written on the raw socket."""

    mode = "drip-headers"

    def _send(self, data: bytes) -> bool:
        try:
            self.request.sendall(data)
            return True
        except OSError:
            return False

    def handle(self):
        self.request.settimeout(30)
        try:
            received = self.request.recv(65536)
        except OSError:
            return
        mode = self.server.mode
        if mode == "drip-headers":
            self._send(b"HTTP/1.1 200 OK\r\n")
            while self._send(b"X-Slow: a\r\n"):
                time.sleep(0.3)
        elif mode == "drip-body":
            self._send(b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
                       b"Content-Length: 100000\r\n\r\n{")
            while self._send(b" "):
                time.sleep(0.3)
        elif mode in ("huge", "huge-declared"):
            head = b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
            head += b"Content-Length: 9000000000\r\n\r\n" if mode == "huge-declared" else b"Connection: close\r\n\r\n"
            if self._send(head):
                chunk = b" " * 65536
                while self._send(chunk):
                    pass
        elif mode in ("nested-json", "nested-nt"):
            body = _nested_json(NESTED) if mode == "nested-json" else _nested_ntriples(NESTED)
            ctype = b"application/sparql-results+json" if mode == "nested-json" else b"application/n-triples"
            self._send(b"HTTP/1.1 200 OK\r\nContent-Type: " + ctype + b"\r\nContent-Length: "
                       + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
        elif mode == "echo":
            body = b"you sent: " + received
            self._send(b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: "
                       + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@pytest.fixture()
def hostile():
    servers = []

    def start(mode: str) -> str:
        server = _Server((HOST, 0), Hostile)
        server.mode = mode
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://{HOST}:{server.server_address[1]}/query"
    yield start
    for s in servers:
        s.shutdown()
        s.server_close()


@pytest.mark.parametrize("mode", ["drip-headers", "drip-body"])
def test_timeout_is_a_deadline_for_the_whole_answer(hostile, mode):
    url = hostile(mode)
    start = time.monotonic()
    r = fkgraph("query", "trials", "--endpoint", url, "--timeout", "2")
    took = time.monotonic() - start
    assert r.returncode == 1
    assert "within 2 s (the timeout)" in one_line(r)
    assert took < 15, took  # 2 s of dripping, the rest is start-up


def test_the_library_deadline_holds_against_a_dripping_server(hostile):
    from fkgraph.sparql.remote import Endpoint, EndpointError

    ep = Endpoint(hostile("drip-headers"), timeout=1.0, retries=3)
    start = time.monotonic()
    with pytest.raises(EndpointError, match="within 1 s"):
        ep.select("SELECT * WHERE { ?s ?p ?o }")
    assert time.monotonic() - start < 3  # no retry after the deadline


@pytest.mark.parametrize("mode", ["huge", "huge-declared"])
def test_answers_are_capped(hostile, mode):
    r = fkgraph("query", "trials", "--endpoint", hostile(mode), "--timeout", "60",
                env={"FKGRAPH_ENDPOINT_MAX_MB": "2"})
    assert r.returncode == 1
    line = one_line(r)
    assert "larger than 2 MB, the cap" in line and "FKGRAPH_ENDPOINT_MAX_MB" in line


@pytest.mark.parametrize("value", ["0", "-1", "nan", "lots", "inf"])
def test_the_cap_itself_is_checked(hostile, value):
    r = fkgraph("query", "trials", "--endpoint", hostile("huge"), env={"FKGRAPH_ENDPOINT_MAX_MB": value})
    assert r.returncode == 2
    assert "FKGRAPH_ENDPOINT_MAX_MB" in one_line(r)


@pytest.mark.parametrize("mode", ["nested-json", "nested-nt"])
def test_deeply_nested_answers_are_one_line(hostile, mode):
    r = fkgraph("query", "--sparql", "SELECT * WHERE { ?s ?p ?o }", "--endpoint", hostile(mode))
    assert r.returncode == 1, r.stderr  # not a crash (-11) nor a RecursionError
    assert "nests triple terms deeper than 64 levels" in one_line(r)


def test_shallow_triple_terms_still_read():
    from fkgraph.sparql.remote import parse_results

    rows = parse_results(_nested_json(3), "application/sparql-results+json")
    assert rows.rows[0][0].count("<<(") == 2  # the outer triple is written bare, the two inside it as <<( )>>


def test_credentials_echoed_by_a_server_are_not_printed(hostile):
    url = hostile("echo") + "?apikey=" + SECRET + "&token=" + SECRET
    r = fkgraph("query", "trials", "--endpoint", url,
                env={"FKGRAPH_ENDPOINT_USER": "bob", "FKGRAPH_ENDPOINT_PASSWORD": SECRET})
    assert r.returncode == 1
    line = one_line(r)
    assert "400 Bad Request" in line and "you sent" in line  # the echo is shown ...
    encoded = base64.b64encode(f"bob:{SECRET}".encode()).decode()
    for secret in (SECRET, encoded, encoded.rstrip("=")):
        assert secret not in r.stderr + r.stdout  # ... without the credentials


@pytest.mark.parametrize("text", [
    "Authorization: Basic Ym9iOmh1bnRlcjI=", "authorization=Bearer abc.def.ghi", "GET /q?x=1&apikey=abcdef",
    "http://bob:pw12345@example.org/q", '{"password": "pw12345"}', "Proxy-Authorization: Digest username=bob, response=ff00",
    "&access_token=abcdef", "?token=abcdef#x"])
def test_redact_removes_each_kind_of_credential(text):
    from fkgraph.errors import redact

    out = redact(text)
    for secret in ("Ym9iOmh1bnRlcjI", "abc.def.ghi", "abcdef", "pw12345", "ff00"):
        assert secret not in out, out
    assert "***" in out


def test_a_url_with_credentials_is_refused_without_showing_them():
    r = fkgraph("query", "trials", "--endpoint", f"http://bob:{SECRET}@{HOST}:9/query")
    assert r.returncode == 2
    assert SECRET not in r.stderr and "carries credentials" in one_line(r)
