"""`fkgraph serve`: the built graph behind a real SPARQL endpoint (the `oxigraph` server from PyPI).

The graph is written into an Oxigraph store directory with pyoxigraph (same storage format as
the server of the same 0.5 series), then `oxigraph serve-read-only` is started on it as a child
process and stopped by its PID. Defaults are the safe ones:

- **loopback only**: the server binds 127.0.0.1; any other address is refused unless the
  caller says `public=True` (`--public`), because a SPARQL endpoint lets anyone who reaches it
  run arbitrarily expensive queries;
- **read-only**: `serve-read-only`, so SPARQL UPDATE and Graph Store writes are answered
  403 Forbidden; `writable=True` (`--writable`) starts `oxigraph serve` instead;
- **a query timeout** (`--timeout-s`) when one is given;
- **no outgoing connections**: the server runs under a seccomp filter (`children.no_outbound`), so
  a `SERVICE` clause that reaches it on its own port still fetches nothing.

The store directory is a temporary one, removed when the server stops, unless `location` names
a directory to keep (it must be new or empty: fkgraph never writes into someone else's store).
"""
from __future__ import annotations

import ipaddress
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import pyoxigraph as ox

from fkgraph.sparql import children
from fkgraph.sparql.remote import EndpointError, EndpointUsageError

DEFAULT_PORT = 7878


def is_loopback(host: str) -> bool:
    """True if every address `host` names is a loopback address (127.0.0.0/8, ::1)."""
    host = host.strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError):
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0].split("%")[0]).is_loopback for i in infos)


def free_port(host: str = "127.0.0.1") -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def executable() -> str:
    """The `oxigraph` server binary: beside this Python first, then on PATH."""
    beside = Path(sys.executable).parent / "oxigraph"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("oxigraph")
    if not found:
        raise EndpointError("oxigraph", "the Oxigraph server is not installed",
                            "pip install 'fkgraph[serve]' (or: pip install 'oxigraph>=0.5,<0.6')")
    return found


def write_store(store: ox.Store, location: str | os.PathLike) -> int:
    """Write the default graph of `store` into a new Oxigraph store directory; returns its size."""
    location = Path(location)
    if location.exists() and (not location.is_dir() or any(location.iterdir())):
        raise EndpointUsageError(str(location), "the store directory exists and is not empty",
                                 "give a new directory; fkgraph does not write into an existing store")
    location.mkdir(parents=True, exist_ok=True)
    target = ox.Store(str(location))
    target.bulk_extend(store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    target.flush()
    n = len(target)
    del target  # release the RocksDB lock before the server opens the directory
    return n


class OxigraphServer:
    """An `oxigraph serve[-read-only]` child process on one store directory, stopped by its PID."""

    def __init__(self, location: str | os.PathLike, host: str = "127.0.0.1", port: int = DEFAULT_PORT,
                 writable: bool = False, timeout: float | None = None):
        self.location = Path(location)
        self.host = host
        self.port = port or free_port(host)
        self.writable = writable
        self.timeout = timeout
        self.process: subprocess.Popen | None = None
        self._log = None

    @property
    def base(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def url(self) -> str:
        """The SPARQL query endpoint."""
        return self.base + "/query"

    def argv(self) -> list[str]:
        host = f"[{self.host}]" if ":" in self.host else self.host
        argv = [executable(), "serve" if self.writable else "serve-read-only",
                "--location", str(self.location), "--bind", f"{host}:{self.port}"]
        if self.timeout:
            argv += ["--timeout-s", str(max(1, math.ceil(self.timeout)))]
        return argv

    def start(self, wait: float = 30.0) -> "OxigraphServer":
        if not port_free(self.host, self.port):
            raise EndpointError(self.base, f"port {self.port} is in use", "choose another --port (0 picks a free one)")
        try:
            tie = children.preexec(offline=True)
        except children.SandboxError as e:
            raise EndpointError(self.base, f"cannot keep the oxigraph server from fetching URLs (SERVICE): {e}",
                                "pip install 'fkgraph[serve]' on Linux (pyseccomp, libseccomp2)") from None
        self._log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL, stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=tie)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._log.seek(0)
                said = " ".join(self._log.read().decode("utf-8", "replace").split())[-300:]
                self.process = None
                raise EndpointError(self.base, f"the oxigraph server exited at start ({said or 'no message'})",
                                    "is the port in use? try another --port")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    pass
                if self.process.poll() is None:
                    return self
                continue
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise EndpointError(self.base, f"the oxigraph server did not listen within {wait:g} s")

    def stop(self) -> None:
        """Terminate the server by its PID (SIGTERM, then SIGKILL after 10 s)."""
        p, self.process = self.process, None
        if p is not None and p.poll() is None:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> "OxigraphServer":
        return self.start() if self.process is None else self

    def __exit__(self, *exc) -> None:
        self.stop()


class Front:
    """The web front (`webapi.app` on uvicorn) on the user's address; the oxigraph child behind
    it on a free loopback port. The socket is bound before `url` is shown, so the URL works."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = DEFAULT_PORT):
        family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
        self.host, self.app = host.strip("[]"), app
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.sock.bind((self.host, port))
        except OSError as e:
            self.sock.close()
            raise EndpointError(f"http://{host}:{port}", f"port {port} is in use ({e.strerror})" if port else str(e),
                                "choose another --port (0 picks a free one)") from None
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]

    @property
    def base(self) -> str:
        return f"http://[{self.host}]:{self.port}" if ":" in self.host else f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """The SPARQL query endpoint; the web API is at …/api/, the site at …/."""
        return self.base + "/query"

    def run(self) -> None:
        """Serve until SIGINT or SIGTERM (uvicorn re-raises the signal once it has stopped)."""
        import uvicorn

        server = uvicorn.Server(uvicorn.Config(self.app, log_level="warning", lifespan="on"))
        try:
            server.run(sockets=[self.sock])
        finally:
            self.sock.close()


def check_bind(host: str, public: bool) -> None:
    """`host` must be an address or a host name that resolves, as typed (no spaces); a
    non-loopback one needs `public`."""
    bare = host.strip("[]")
    try:
        ok = bool(bare) and bare == "".join(bare.split()) and bare.isprintable() and bool(socket.getaddrinfo(bare, None))
    except (socket.gaierror, UnicodeError, ValueError):
        ok = False
    if not ok:
        raise EndpointUsageError(f"--bind {host[:60]!r}", "not an address this machine can listen on",
                                 "write an IP address or host name without spaces, e.g. 127.0.0.1 or ::1")
    if not public and not is_loopback(host):
        raise EndpointUsageError(f"--bind {host}", "refusing to serve on a non-loopback address",
                                 "anyone who reaches it can query; add --public if that is what you want")


def serve(store: ox.Store, host: str = "127.0.0.1", port: int = DEFAULT_PORT, public: bool = False,
          writable: bool = False, location: str | os.PathLike | None = None, timeout: float | None = None,
          on_ready: Callable[[OxigraphServer, int], None] | None = None,
          app: Callable[[str], object] | None = None) -> int:
    """Serve `store` until Ctrl-C (or SIGTERM); returns 0 on a clean stop, else the server's status.

    With `app` (a function of the oxigraph child's base URL giving an ASGI app, `webapi.app`),
    the app answers on `host:port` and the child listens on a free loopback port behind it;
    without, the child answers on `host:port` itself. `on_ready(server, triples)` is called once
    the server listens (print `server.url` there).
    """
    check_bind(host, public)
    tmp = None
    if location is None:
        tmp = children.temporary_folder("fkgraph-serve")
        location = Path(tmp) / "store"
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGHUP)}

    def _term(signum, frame):
        raise KeyboardInterrupt

    def _hangup(signum, frame):  # a closed terminal: stop as for SIGTERM (uvicorn's handler, if running)
        os.kill(os.getpid(), signal.SIGTERM)

    server = front = None
    try:
        if threading_main():
            signal.signal(signal.SIGTERM, _term)
            signal.signal(signal.SIGHUP, _hangup)
        front = Front(None, host, port) if app is not None else None  # the user's port first: fail early
        n = write_store(store, location)
        server = OxigraphServer(location, "127.0.0.1" if front else host, 0 if front else port,
                                writable=writable, timeout=timeout).start()
        if front is not None:
            front.app = app(server.base)
        if on_ready:
            on_ready(front or server, n)
        if front is not None:
            front.run()
            return 0
        return server.process.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        if server is not None:
            server.stop()
        if front is not None:
            front.sock.close()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
        if threading_main():
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def threading_main() -> bool:
    import threading
    return threading.current_thread() is threading.main_thread()
