"""`fkgraph serve` (issue 8) and what a server exposes (issue 11): loopback by default, read-only
(a SPARQL UPDATE is refused), the same answers as the embedded engine, a clean stop on Ctrl-C."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import pytest
from click.testing import CliRunner

from fkgraph import api
from fkgraph.sparql import remote as endpoint
from fkgraph.sparql import serve
from fkgraph.cli import cli

from conftest import ROOT
from servers import closed_port, wait_listening

pytestmark = pytest.mark.server


@pytest.mark.parametrize("host,expected", [
    ("127.0.0.1", True), ("127.3.4.5", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("0.0.0.0", False), ("::", False), ("192.168.1.10", False), ("10.0.0.1", False),
])
def test_loopback_detection(host, expected):
    assert serve.is_loopback(host) is expected


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10"])
def test_non_loopback_bind_is_refused_without_public(host):
    r = CliRunner().invoke(cli, ["serve", "--bind", host, "--no-validate"], catch_exceptions=False)
    assert r.exit_code == 2
    line = r.output.strip()
    assert len(line.splitlines()) == 1 and host in line and "--public" in line and "Traceback" not in line


def test_served_store_is_read_only_and_answers_like_embedded(built, tmp_path):
    n = serve.write_store(built.store, tmp_path / "store")
    assert n == len(built)
    with serve.OxigraphServer(tmp_path / "store", port=0) as server:
        assert "serve-read-only" in server.argv() and f"127.0.0.1:{server.port}" in server.argv()
        ep = endpoint.Endpoint(server.url, backoff=0.05)
        assert ep.count() == len(built)
        rows = endpoint.query("most-exempted-statutes", ep, {"network": "4"}, home=ROOT)
        assert rows.rows == api.query("most-exempted-statutes", {"network": "4"}, built=built, home=ROOT).rows
        with pytest.raises(endpoint.EndpointError) as e:
            ep.update("DELETE WHERE { ?s ?p ?o }")
        assert "403" in str(e.value)
        with pytest.raises(endpoint.EndpointError) as e:
            ep.update("INSERT DATA { <urn:x:a> <urn:x:b> <urn:x:c> }")
        assert "403" in str(e.value)
        assert ep.count() == len(built)
        pid = server.process.pid
    # stopped by its PID: the process is gone and the port is closed
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_store_directory_must_be_new_or_empty(built, tmp_path):
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "someone-elses-data").write_text("x")
    with pytest.raises(endpoint.EndpointUsageError, match="not empty"):
        serve.write_store(built.store, tmp_path / "store")
    assert (tmp_path / "store" / "someone-elses-data").read_text() == "x"


def test_port_in_use_is_a_clear_error(built, tmp_path):
    serve.write_store(built.store, tmp_path / "store")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(endpoint.EndpointError) as e:
            serve.OxigraphServer(tmp_path / "store", port=port).start()
    assert f"port {port} is in use" in str(e.value) and "--port" in str(e.value)


def _non_loopback_address() -> str | None:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 1))  # no packet is sent: this only picks a route
            address = s.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") else address


def test_cli_serve_prints_url_binds_loopback_and_stops_on_ctrl_c():
    port = closed_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    p = subprocess.Popen([sys.executable, "-m", "fkgraph", "serve", "--port", str(port), "--no-validate"],
                         cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = p.stdout.readline().strip()
        assert url == f"http://127.0.0.1:{port}/query", p.stderr.read() if p.poll() is not None else url
        wait_listening(port, p)
        ep = endpoint.Endpoint(url, backoff=0.05)
        assert ep.count() > 500
        with pytest.raises(endpoint.EndpointError, match="403"):
            ep.update("DELETE WHERE { ?s ?p ?o }")
        other = _non_loopback_address()
        if other:  # not reachable from the machine's own network address
            with pytest.raises(OSError):
                socket.create_connection((other, port), timeout=2).close()
        os.kill(p.pid, signal.SIGINT)  # Ctrl-C
        out, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            os.kill(p.pid, signal.SIGKILL)
            p.wait()
    assert p.returncode == 0, err
    assert "server stopped" in err and "Traceback" not in err
    with pytest.raises(OSError):  # the oxigraph child went with it
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
