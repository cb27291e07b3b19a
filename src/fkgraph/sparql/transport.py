"""HTTP exchanges with an endpoint, bounded: a deadline for the whole exchange (urllib3's read
timeout is per read, so a server dripping its headers or body could hold it forever), a cap on
the answer's size, and a bound on how deeply an answer nests triple terms (pyoxigraph's parsers
recurse on them and overflow the stack: a crash, not an exception)."""
from __future__ import annotations

import os
import re
import socket
import threading
import time

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ReadTimeoutError
from urllib3.util.retry import Retry as _UrllibRetry

from fkgraph.errors import UsageError

MAX_ANSWER_ENV = "FKGRAPH_ENDPOINT_MAX_MB"
DEFAULT_MAX_MB = 64
MAX_NESTING = 64
#: an answer may hold one solution or triple per this many bytes of the cap: each costs a few
#: hundred bytes once read, however few bytes it took to send (`{}` is a solution)
MIN_ITEM_BYTES = 64


class Retry(_UrllibRetry):
    """urllib3's Retry, except that a read timeout or a passed deadline is final."""

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
        if isinstance(error, ReadTimeoutError):
            raise error
        watch = getattr(_local, "watch", None)
        if watch is not None and watch.fired:
            raise ReadTimeoutError(_pool, url, "the deadline passed")
        return super().increment(method, url, response, error, _pool, _stacktrace)


_local = threading.local()


class Watch:
    """The deadline of one exchange: when it passes, every connection the exchange used is shut
    down, so a server dripping its headers or body cannot hold a read open (urllib3's read timeout
    is per read, not per answer)."""

    def __init__(self, seconds: float):
        self.connections: list = []
        self.fired = self.done = False
        self.lock = threading.Lock()
        self.timer = threading.Timer(max(0.0, seconds), self._fire)
        self.timer.daemon = True

    def add(self, connection) -> None:
        with self.lock:
            if self.fired:
                raise TimeoutError("the deadline passed")
            self.connections.append(connection)

    def _fire(self) -> None:
        with self.lock:
            if self.done:
                return
            self.fired = True
            for c in self.connections:
                sock = getattr(c, "sock", None)
                if sock is not None:
                    try:
                        socket.socket.shutdown(sock, socket.SHUT_RDWR)
                    except OSError:
                        pass

    def __enter__(self) -> "Watch":
        _local.watch = self
        self.timer.start()
        return self

    def __exit__(self, *exc) -> None:
        with self.lock:
            self.done = True
        self.timer.cancel()
        _local.watch = None


def _watched(base):
    class Watched(base):
        def connect(self):
            _register(self)
            return super().connect()

        def request(self, *args, **kwargs):
            _register(self)
            return super().request(*args, **kwargs)
    return Watched


def _register(connection) -> None:
    watch = getattr(_local, "watch", None)
    if watch is not None:
        watch.add(connection)


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _watched(HTTPConnection)


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _watched(HTTPSConnection)


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


def max_answer_bytes() -> int:
    """The cap on one answer's size: $FKGRAPH_ENDPOINT_MAX_MB megabytes, else 64 MB (a parsed answer takes
    many times its size in memory)."""
    text = os.environ.get(MAX_ANSWER_ENV, "").strip()
    if not text:
        return DEFAULT_MAX_MB * 1_000_000
    try:
        mb = float(text)
    except ValueError:
        mb = float("nan")
    if not (0 < mb < 1e9):
        raise UsageError(f"{MAX_ANSWER_ENV}={text[:40]!r} is not a size in megabytes; give a number more "
                         f"than 0, e.g. {DEFAULT_MAX_MB}")
    return int(mb * 1_000_000)


def max_items(cap: int | None = None) -> int:
    """How many solutions or triples one answer may hold: one per MIN_ITEM_BYTES of the cap."""
    return max(1, (max_answer_bytes() if cap is None else cap) // MIN_ITEM_BYTES)


class Deadline(Exception):
    """The deadline passed while the answer streamed in."""


class TooLarge(Exception):
    """The answer is larger than the cap."""


def adapter(**kwargs):
    """requests' HTTPAdapter whose pools use the watched connections (also through a proxy)."""
    from requests.adapters import HTTPAdapter

    class Adapter(HTTPAdapter):
        def init_poolmanager(self, *args, **kw):
            super().init_poolmanager(*args, **kw)
            self.poolmanager.pool_classes_by_scheme = _POOLS

        def proxy_manager_for(self, proxy, **kw):
            manager = super().proxy_manager_for(proxy, **kw)
            manager.pool_classes_by_scheme = _POOLS
            return manager
    return Adapter(**kwargs)


def read(r, deadline: float, cap: int) -> bytes:
    """The body of response `r`: TooLarge past `cap` bytes, Deadline past `deadline` (monotonic)."""
    declared = r.headers.get("Content-Length", "")
    if declared.strip().isdigit() and int(declared) > cap:
        raise TooLarge()
    chunks, size = [], 0
    for chunk in r.iter_content(chunk_size=65536):
        chunks.append(chunk)
        size += len(chunk)
        if size > cap:
            raise TooLarge()
        if time.monotonic() > deadline:
            raise Deadline()
    return b"".join(chunks)


_NOT_JSON_MARK = bytes(set(range(256)) - set(b'{}[]"'))
_CHUNK = 1 << 18
_MARKS = bytes(set(range(256)) - {1, 2})
_JSON_PAIR, _MARK_PAIR = re.compile(rb"\{\}|\[\]"), re.compile(rb"\x01\x02")


def too_deep(body: bytes, ctype: str) -> bool:
    """True if `body` nests triple terms deeper than MAX_NESTING: pyoxigraph's parsers recurse on
    them and overflow the stack (a crash, not an exception). Fewer triple terms than that cannot
    nest deeper, so ordinary answers cost one count. Each pass removes the innermost pairs; what
    is left after MAX_NESTING passes still holds a pair only if the nesting is deeper."""
    if "json" in ctype:
        if body.count(b'"triple"') <= MAX_NESTING:
            return False
        seq, pairs = _json_brackets(body), _JSON_PAIR
    else:
        opener, closer = (b"<triple", b"</triple") if "xml" in ctype else (b"<<", b">>")
        if body.count(opener) <= MAX_NESTING:
            return False
        seq, pairs = body.replace(closer, b"\x02").replace(opener, b"\x01").translate(None, _MARKS), _MARK_PAIR
    for _ in range(MAX_NESTING):
        seq, n = pairs.subn(b"", seq)
        if not n:
            return False
    return bool(pairs.search(seq))


def _json_brackets(body: bytes) -> bytes:
    """The brackets of JSON `body` outside its strings, in order. Escaped backslashes, then escaped
    quotes are dropped (as a JSON reader pairs them), so the quotes left delimit the strings; only
    brackets and quotes are kept (a copy a fraction of the size), and the strings' brackets are cut
    a chunk at a time, which keeps the pieces few (a regular expression over the whole body made
    one object per string: 20 times the body's size)."""
    marks = body.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_JSON_MARK)
    out, inside = [], 0
    for i in range(0, len(marks), _CHUNK):
        parts = marks[i:i + _CHUNK].split(b'"')
        out.append(b"".join(parts[inside::2]))
        inside = (inside + len(parts) - 1) % 2
    return b"".join(out)
