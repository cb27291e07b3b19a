"""Hostile endpoints and a hostile public: tiny servers on 127.0.0.1 that drip, flood, nest and
echo; `fkgraph serve` asked to reach out (SERVICE), reached by a foreign Host, and killed.

Every captured output is checked for "internal error" and "Traceback" (`_clean`)."""
from __future__ import annotations

import base64
import http.server
import os
import signal
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
        elif mode in ("nested-json", "nested-nt", "empty-rows", "short-triples"):
            body = {"nested-json": lambda: _nested_json(NESTED), "nested-nt": lambda: _nested_ntriples(NESTED),
                    "empty-rows": lambda: b'{"head":{"vars":["x"]},"results":{"bindings":[' + b",".join([b"{}"] * 20000)
                    + b"]}}", "short-triples": lambda: b"".join(b"<a:%d> <a:> <a:> .\n" % i for i in range(20000))}[mode]()
            ctype = b"application/n-triples" if mode in ("nested-nt", "short-triples") else b"application/sparql-results+json"
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


@pytest.mark.parametrize("mode", ["drip-headers", "drip-body"])
def test_push_has_the_same_deadline(hostile, mode):
    start = time.monotonic()
    r = fkgraph("push", "--endpoint", hostile(mode), "--timeout", "2", "--no-validate")
    assert r.returncode == 1
    line = one_line(r)
    assert "/store" in line and "within 2 s (the timeout)" in line
    assert time.monotonic() - start < 20


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


@pytest.mark.parametrize("mode", ["empty-rows", "short-triples"])
def test_answers_packing_many_rows_into_few_bytes_are_refused(hostile, mode):
    """20,000 rows or triples in 60-340 KB: under a 1 MB cap, but more than one per 64 bytes of it
    (15,625), and each costs hundreds of bytes once read."""
    query = "CONSTRUCT WHERE { ?s ?p ?o }" if mode == "short-triples" else "SELECT * WHERE { ?s ?p ?o }"
    r = fkgraph("query", "--sparql", query, "--endpoint", hostile(mode), env={"FKGRAPH_ENDPOINT_MAX_MB": "1"})
    assert r.returncode == 1, r.stderr
    line = one_line(r)
    assert "holds more than 15,625 solutions or triples" in line and "FKGRAPH_ENDPOINT_MAX_MB" in line
    graph = mode == "short-triples"
    r = fkgraph("query", "--sparql", query, "--endpoint", hostile(mode), "--format", "ntriples" if graph else "csv",
                env={"FKGRAPH_ENDPOINT_MAX_MB": "2"})
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()  # every row (after a header) or triple under a cap that allows them
    assert len(lines) == 20000 + (not graph)
    assert len(set(lines)) == (20000 if graph else 2)


def test_nesting_is_counted_outside_strings_whatever_they_escape():
    from fkgraph.sparql.transport import MAX_NESTING, too_deep

    ctype = "application/sparql-results+json"
    deep = _nested_json(MAX_NESTING + 1)
    hidden = ('{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"literal","value":"'
              + '\\\"[{' * 200 + '"}}]}}' + ' "triple"' * 100).encode()
    assert too_deep(deep, ctype)
    assert not too_deep(hidden, ctype)  # brackets inside a string, behind escaped quotes and backslashes
    assert too_deep(deep.replace(b'"http://a"', b'"http://\\a\"{"'), ctype)


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


# ---- serve -------------------------------------------------------------------------------------

def children_of(pid: int) -> list[int]:
    """The PIDs whose parent is `pid` (from /proc, by PID: never by name)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def wait_gone(pids: list[int], seconds: float = 10) -> list[int]:
    """The PIDs still running after `seconds`; those are then killed (by PID), so a failing test
    leaves nothing behind."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(running(p) for p in pids):
        time.sleep(0.1)
    left = [p for p in pids if running(p)]
    for p in left:
        os.kill(p, signal.SIGKILL)
    return left


class Served:
    """`fkgraph serve --port 0` in a subprocess: its URL, its PID, its oxigraph child's PID."""

    def __init__(self, *extra: str):
        environ = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        self.process = subprocess.Popen([sys.executable, "-m", "fkgraph", "--home", str(ROOT), "serve", "--port", "0",
                                         "--no-validate", *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True, env=environ)
        self.url = self.process.stdout.readline().strip()
        assert self.url.startswith("http://127.0.0.1:"), self.process.stderr.read()
        self.base = self.url.rsplit("/", 1)[0]
        self.children = children_of(self.process.pid)
        assert self.children, "serve started no oxigraph child"

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            _, err = self.process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, err = self.process.communicate()
        _clean(err)
        return err


@pytest.fixture(scope="module")
def served():
    s = Served()
    yield s
    s.stop()
    assert not wait_gone(s.children)


def _get(url: str, host: str | None = None, data: bytes | None = None, ctype: str | None = None):
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, data=data)
    if host is not None:
        request.add_header("Host", host)
    if ctype:
        request.add_header("Content-Type", ctype)
    request.add_header("Accept", "application/sparql-results+json")
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


class Recorder(http.server.BaseHTTPRequestHandler):
    """An internal service the endpoint must never reach: it records every request."""

    hits: list = []

    def do_GET(self):
        Recorder.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.end_headers()
        self.wfile.write(b'{"head":{"vars":["secret"]},"results":{"bindings":[{"secret":{"type":"literal","value":"internal"}}]}}')

    do_POST = do_GET

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def internal_service():
    import http.server

    server = http.server.ThreadingHTTPServer((HOST, 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://{HOST}:{server.server_address[1]}/sparql"
    server.shutdown()
    server.server_close()


def _service_queries(target: str) -> list[str]:
    return [
        f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}",
        f"select * where {{ service silent <{target}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ \\u0053ERVICE <{target}> {{ ?s ?p ?o }} }}",   # a codepoint escape
        f"SELECT * WHERE {{ ?a ?b ?c OPTIONAL {{ {{ SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }} }} }} }}",
        f"ASK {{ FILTER EXISTS {{ SERVICE <{target}> {{ ?s ?p ?o }} }} }}",
        f"SELECT * WHERE {{ BIND(<{target}> AS ?u) SERVICE ?u {{ ?s ?p ?o }} }}",
        f"# a comment\nSELECT * WHERE {{ ?x ?y \"}}\" . SeRvIcE <{target}> {{ ?s ?p ?o }} }}",
    ]


@pytest.mark.slow
def test_serve_refuses_federated_queries_in_every_form(served, internal_service):
    from urllib.parse import quote, urlencode

    Recorder.hits.clear()
    for text in _service_queries(internal_service):
        for how in ("get", "form", "direct"):
            if how == "get":
                status, body = _get(served.url + "?query=" + quote(text))
            elif how == "form":
                status, body = _get(served.url, data=urlencode({"query": text}).encode(),
                                    ctype="application/x-www-form-urlencoded")
            else:
                status, body = _get(served.url, data=text.encode(), ctype="application/sparql-query")
            assert status == 403, (how, text, status, body)
            assert "federated queries (SERVICE) are refused" in body and "internal" not in body.split("refused")[0]
            _clean(body)
    assert Recorder.hits == []  # the internal service was never reached
    update = f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{internal_service}> {{ ?s ?p ?o }} }}"
    status, _ = _get(served.base + "/update", data=urlencode({"update": update}).encode(),
                     ctype="application/x-www-form-urlencoded")
    assert status == 403 and Recorder.hits == []


def child_base(pid: int) -> str:
    """The address the oxigraph child listens on, from its command line (`--bind HOST:PORT`)."""
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    return "http://" + argv[argv.index("--bind") + 1]


@pytest.mark.slow
def test_the_oxigraph_child_itself_fetches_nothing(served, internal_service):
    """A local process, or a rebound web page, that finds the child's loopback port and sends
    it SERVICE directly: the child cannot connect anywhere, so the internal service sees nothing,
    while ordinary queries on the same port are answered."""
    from urllib.parse import quote, urlencode

    (child,) = served.children
    base = child_base(child)
    assert base.startswith("http://127.0.0.1:") and base != served.base
    status, body = _get(base + "/query?query=" + quote("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"))
    assert status == 200 and '"n"' in body
    Recorder.hits.clear()
    named = internal_service.replace(HOST, "localhost")
    for target in (internal_service, named):
        for text in _service_queries(target)[:2]:
            _get(base + "/query?query=" + quote(text))
            _get(base + "/query", data=urlencode({"query": text}).encode(), ctype="application/x-www-form-urlencoded")
    assert Recorder.hits == []
    assert running(child)


@pytest.mark.slow
def test_serve_still_answers_queries_that_only_mention_service(served):
    from urllib.parse import quote

    for text in ['SELECT ?s WHERE { ?s ?p "SERVICE <http://127.0.0.1:1/> { }" } LIMIT 1',
                 "# SERVICE <http://127.0.0.1:1/>\nASK { ?s ?p ?o }",
                 "SELECT ?service WHERE { ?service ?p ?o } LIMIT 1"]:
        status, body = _get(served.url + "?query=" + quote(text))
        assert status == 200, (text, body)


@pytest.mark.slow
@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "127.0.0.1.evil.example", "localhost.evil",
                                  "0.0.0.0", "[::2]:1", "", "attacker.localhost"])
def test_serve_refuses_a_foreign_host_header(served, host):
    port = served.base.rsplit(":", 1)[1]
    for path in ("/query?query=ASK%7B%7D", "/api/trials.csv", "/"):
        status, body = _get(served.base + path, host=host.replace(":1", f":{port}") if host else host)
        assert status in (400, 421), (host, path, status)
        _clean(body)


@pytest.mark.slow
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "LOCALHOST."])
def test_serve_answers_its_own_names(served, host):
    port = served.base.rsplit(":", 1)[1]
    status, _ = _get(served.base + "/query?query=ASK%7B%7D", host=f"{host}:{port}")
    assert status == 200


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGHUP, signal.SIGTERM])
def test_no_oxigraph_child_outlives_serve(sig):
    s = Served()
    os.kill(s.process.pid, sig)
    left = wait_gone(s.children)
    s.process.wait(30)
    err = s.stop()
    assert not left, f"oxigraph child still serving after {sig.name}"
    if sig != signal.SIGKILL:
        assert s.process.returncode == 0 and "server stopped" in err
        pid_folders = list(Path(os.environ.get("TMPDIR", "/tmp")).glob(f"fkgraph-*-{s.process.pid}-*"))
        assert pid_folders == []  # its temporary store and site are gone


@pytest.mark.slow
def test_a_killed_query_leaves_no_worker():
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    environ = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    p = subprocess.Popen([sys.executable, "-m", "fkgraph", "--home", str(ROOT), "query", "--sparql", slow,
                          "--timeout", "600"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environ)
    deadline = time.monotonic() + 90
    workers = []
    while time.monotonic() < deadline and not workers and p.poll() is None:
        time.sleep(0.2)
        workers = children_of(p.pid)
    assert workers, "the query never started its worker"
    p.kill()
    p.wait()
    assert not wait_gone(workers), "the query's worker outlived it"
