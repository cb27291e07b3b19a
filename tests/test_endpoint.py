"""Issue 8 (and issue 11's endpoint parts): push, query and faults against real servers.

A real `oxigraph serve` on 127.0.0.1 (tests/servers.py) receives the built graph through the
Graph Store Protocol; every stored query then runs remotely and must give the embedded rows.
Each fault is provoked for real: a closed port, a server answering 500, one that never answers,
a plain static file server, a malformed results document, a server asking for credentials.
"""
from __future__ import annotations

import time

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from fkgraph import api
from fkgraph.sparql import remote as endpoint, upload
from fkgraph.sparql import catalogue, results
from fkgraph.cli import cli

from conftest import ROOT
from servers import FaultServer, Oxigraph, closed_port

pytestmark = pytest.mark.server

GRAPH = "https://w3id.org/fkgraph/graph"
STORED = sorted(p.stem for p in (ROOT / "queries").glob("*.rq"))

# Values for parameters a stored query requires without a `#+ defaults` entry, and values to try
# for optional ones: real names from data/, resolved on each side (embedded store, endpoint).
SAMPLES = {"network": "4", "statute": "SL", "municipality": "0851", "programme": "frikommune-ii",
           "provision": "SL § 52, stk. 3", "status": "approved", "kind": "fritagelse"}


def run(*args, env=None):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


@pytest.fixture(scope="module")
def server():
    with Oxigraph() as s:
        yield s


@pytest.fixture(scope="module")
def pushed(server, built):
    """The real graph pushed into GRAPH on the server (library call, small chunks: PUT + POSTs)."""
    result = upload.push(built.store, endpoint.Endpoint(server.url, graph=GRAPH), replace=True, chunk_size=1500)
    return result


def _param_sets(q: catalogue.Query) -> list[dict[str, str]]:
    base = {}
    for p in q.params:
        if p.required and p.default is None:
            value = p.enum[0] if p.enum else SAMPLES.get(p.name)
            if value is None:
                pytest.fail(f"{q.path.name}: required parameter {p.name} has no `#+ defaults` value; "
                            f"add one (or a sample to SAMPLES in this test)")
            base[p.name] = value
    sets = [base]
    for p in q.params:
        if p.required or p.default is not None:
            continue
        value = p.enum[0] if p.enum else SAMPLES.get(p.name)
        if value is not None:
            sets.append({**base, p.name: value})
    return sets


def test_push_reports_the_count_it_checked(pushed, built, server):
    assert pushed.triples == len(built)
    assert pushed.count == len(built)
    assert pushed.chunks == -(-len(built) // 1500)
    assert endpoint.Endpoint(server.url, graph=GRAPH).count() == len(built)


@pytest.mark.parametrize("name", STORED)
def test_every_stored_query_gives_the_embedded_rows_remotely(name, pushed, built, server):
    q = catalogue.find(name, ROOT / "queries")
    ep = endpoint.Endpoint(server.url, graph=GRAPH, timeout=60)
    for values in _param_sets(q):
        local = api.query(name, values, built=built, home=ROOT)
        remote = endpoint.query(name, ep, values, home=ROOT)
        assert remote.columns == local.columns, values
        got, want = _comparable(q, remote), _comparable(q, local)
        if re_order_by(q.text):
            assert got == want, values
        else:
            assert sorted(map(repr, got)) == sorted(map(repr, want)), values
        # plain values of the same types, not strings for everything
        for r_row, l_row in zip(remote.rows, local.rows):
            assert [type(v) for v in r_row] == [type(v) for v in l_row]


def _concat_columns(q: catalogue.Query) -> dict[str, str]:
    """Columns made by GROUP_CONCAT, with their separators. SPARQL leaves the order of the
    concatenated values undefined, and the in-memory and on-disk stores do differ there, so
    those cells are compared as sorted lists of their parts (everything else exactly)."""
    import re
    out = {}
    for m in re.finditer(r"GROUP_CONCAT\s*\((.*?)\)\s+AS\s+\?(\w+)", q.text, re.I | re.S):
        sep = re.search(r"separator\s*=\s*(['\"])(.*?)\1", m.group(1), re.I)
        out[m.group(2)] = sep.group(2) if sep else " "
    return out


def _comparable(q: catalogue.Query, rows: results.Rows) -> list[list]:
    concat = _concat_columns(q)
    return [[sorted(v.split(concat[c])) if c in concat and isinstance(v, str) else v
             for c, v in zip(rows.columns, row)] for row in rows.rows]


def re_order_by(text: str) -> bool:
    import re
    return re.search(r"\bORDER\s+BY\b", text, re.I) is not None


def test_results_parse_to_the_same_plain_values_as_embedded(server):
    text = """SELECT ?i ?d ?f ?date ?da ?plain ?iri ?b ?unbound WHERE {
      VALUES (?i ?d ?f ?date ?da ?plain ?iri ?b) {
        (42 2.5 1.0e3 "2017-07-01"^^<http://www.w3.org/2001/XMLSchema#date> "forsøg"@da "x\\"y\\nz" <https://w3id.org/fkgraph/id/statute/sl> true)
      } }"""
    local = ox.Store().query(text)
    columns = [v.value for v in local.variables]
    expected = [[results.value(sol[c]) for c in columns] for sol in local]
    got = endpoint.Endpoint(server.url).select(text)
    assert got.columns == columns
    assert got.rows == expected
    assert isinstance(got.rows[0][0], int) and got.rows[0][0] == 42
    assert got.rows[0][-1] is None
    ask = endpoint.Endpoint(server.url).select("ASK { FILTER(1 = 1) }")
    assert ask.rows == [[True]]


def test_sparql_xml_results_parse_like_json():
    xml = b"""<?xml version="1.0"?>
    <sparql xmlns="http://www.w3.org/2005/sparql-results#"><head><variable name="n"/><variable name="t"/></head>
    <results><result><binding name="n"><literal datatype="http://www.w3.org/2001/XMLSchema#integer">7</literal></binding>
    <binding name="t"><literal xml:lang="da">lov</literal></binding></result></results></sparql>"""
    rows = endpoint.parse_results(xml, "application/sparql-results+xml")
    assert rows.columns == ["n", "t"] and rows.rows == [[7, "lov"]]


def test_push_twice_with_replace_leaves_the_same_count(server, built):
    graph = GRAPH + "/twice"
    ep = endpoint.Endpoint(server.url, graph=graph)
    ep.update(f"INSERT DATA {{ GRAPH <{graph}> {{ <urn:x:stray> <urn:x:p> \"left over\" }} }}")
    assert ep.count() == 1
    first = upload.push(built.store, ep, replace=True, chunk_size=2000)
    second = upload.push(built.store, ep, replace=True, chunk_size=2000)
    assert first.count == second.count == len(built)  # the stray triple was replaced away
    added = upload.push(built.store, ep, replace=False, chunk_size=2000)  # POST: same triples, a set
    assert added.count == len(built)
    # the other graph was not touched
    assert endpoint.Endpoint(server.url, graph=GRAPH + "/untouched").count() == 0


@pytest.mark.slow
def test_cli_push_and_query_against_oxigraph_equal_the_embedded_output(server):
    url = server.url
    pushed = run("push", "--endpoint", url, "--replace", "--no-validate", "--chunk", "2500")
    assert pushed.exit_code == 0, pushed.output
    assert "now holds" in pushed.output
    again = run("push", "--endpoint", url, "--replace", "--no-validate")
    assert again.exit_code == 0, again.output
    count = lambda out: int(out.rsplit("now holds", 1)[1].split()[0])
    assert count(pushed.output) == count(again.output) == endpoint.Endpoint(url).count()
    for name in STORED:
        q = catalogue.find(name, ROOT / "queries")
        args = [a for k, v in _param_sets(q)[0].items() for a in ("-p", f"{k}={v}")]
        local = run("query", name, *args, "--format", "json")
        remote = run("query", name, *args, "--format", "json", "--endpoint", url)
        assert local.exit_code == 0, local.output
        assert remote.exit_code == 0, remote.output
        if remote.output == local.output:
            continue
        # only GROUP_CONCAT order may differ (see _comparable); and row order without ORDER BY
        import json
        as_rows = lambda out: (lambda d: results.Rows(list(d[0]) if d else [], [list(x.values()) for x in d]))(json.loads(out))
        got, want = _comparable(q, as_rows(remote.output)), _comparable(q, as_rows(local.output))
        if re_order_by(q.text):
            assert got == want, name
        else:
            assert sorted(map(repr, got)) == sorted(map(repr, want)), name


def test_remote_parameters_resolve_against_the_endpoint(pushed, server, built):
    # "4" is a network number, "SL § 52, stk. 3" a citation: both must resolve on the server
    ep = endpoint.Endpoint(server.url, graph=GRAPH)
    rows = endpoint.query("most-exempted-statutes", ep, {"network": "4"}, home=ROOT)
    assert rows.rows == api.query("most-exempted-statutes", {"network": "4"}, built=built, home=ROOT).rows
    # an empty graph resolves nothing: the error is the embedded one, not a silent empty answer
    empty = endpoint.Endpoint(server.url, graph=GRAPH + "/empty")
    with pytest.raises(catalogue.QueryError, match="network"):
        endpoint.query("most-exempted-statutes", empty, {"network": "4"}, home=ROOT)


def test_hostile_parameter_stays_a_value_remotely(pushed, server):
    ep = endpoint.Endpoint(server.url, graph=GRAPH)
    evil = '4" } } ; DROP ALL ; SELECT * WHERE { ?s ?p ?o '
    with pytest.raises(catalogue.QueryError):
        endpoint.query("most-exempted-statutes", ep, {"network": evil}, home=ROOT)
    assert ep.count() > 0


# ---- faults ---------------------------------------------------------------------------------

def fast(url, **kw) -> endpoint.Endpoint:
    return endpoint.Endpoint(url, backoff=0.05, **kw)


def test_closed_port_is_retried_a_bounded_number_of_times():
    url = f"http://127.0.0.1:{closed_port()}/query"
    start = time.monotonic()
    with pytest.raises(endpoint.EndpointError) as e:
        fast(url, retries=2).select("ASK {}")
    assert time.monotonic() - start < 5
    msg = str(e.value)
    assert msg.startswith(url) and "cannot connect" in msg and "Connection refused" in msg and "3 attempts" in msg


def test_server_answering_500_is_retried_then_reported():
    with FaultServer("500") as s:
        with pytest.raises(endpoint.EndpointError) as e:
            fast(s.base + "/query", retries=2).select("ASK {}")
        assert s.hits == 3
    msg = str(e.value)
    assert "server error 500" in msg and "the store is on fire" in msg and "3 attempts" in msg


def test_server_that_never_answers_stops_at_the_timeout():
    with FaultServer("hang") as s:
        start = time.monotonic()
        with pytest.raises(endpoint.EndpointError) as e:
            fast(s.base + "/query", timeout=1).select("ASK {}")
        elapsed = time.monotonic() - start
        assert s.hits == 1  # a timed-out query is not repeated
    assert 0.9 < elapsed < 4
    assert "within 1 s (the timeout)" in str(e.value) and "--timeout" in str(e.value)


def test_static_file_server_is_not_a_sparql_endpoint(tmp_path):
    (tmp_path / "index.html").write_text("<html><body>hello</body></html>")
    with FaultServer("static", tmp_path) as s:
        with pytest.raises(endpoint.EndpointError) as missing:
            fast(s.base + "/sparql").terms("SELECT * WHERE { ?s ?p ?o }")
        with pytest.raises(endpoint.EndpointError) as html:
            fast(s.base + "/index.html").select("ASK {}")  # POST is 501 here; GET gives the page
        with pytest.raises(endpoint.EndpointError) as put:
            upload.push(ox.Store(), fast(s.base + "/query"), replace=True)
    assert "404 Not Found" in str(missing.value) and "no SPARQL endpoint" in str(missing.value)
    assert "answered with text/html, not SPARQL results" in str(html.value)
    assert "Graph Store Protocol" in str(put.value) and "--store" in str(put.value)


def test_html_answer_is_named_as_not_sparql_results():
    with FaultServer("html") as s:
        with pytest.raises(endpoint.EndpointError) as e:
            fast(s.base + "/query").select("ASK {}")
    assert "answered with text/html, not SPARQL results" in str(e.value)


@pytest.mark.parametrize("mode,words", [("malformed", "the JSON does not parse"), ("wrong-shape", "head.vars and results.bindings")])
def test_malformed_results_document(mode, words):
    with FaultServer(mode) as s:
        with pytest.raises(endpoint.EndpointError) as e:
            fast(s.base + "/query").select("SELECT ?x WHERE {}")
    assert "malformed SPARQL results" in str(e.value) and words in str(e.value)


def test_401_names_where_credentials_come_from(monkeypatch, tmp_path):
    monkeypatch.delenv(endpoint.USER_ENV, raising=False)
    monkeypatch.delenv(endpoint.PASSWORD_ENV, raising=False)
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))
    with FaultServer("401") as s:
        with pytest.raises(endpoint.EndpointError) as e:
            fast(s.base + "/query").select("ASK {}")
    assert "401" in str(e.value) and endpoint.USER_ENV in str(e.value) and ".netrc" in str(e.value)


def test_credentials_from_environment_and_netrc_never_from_argv(monkeypatch, tmp_path):
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))
    with FaultServer("auth") as s:
        s.expect_basic("fk", "s3cret")
        url = s.base + "/query"
        monkeypatch.setenv(endpoint.USER_ENV, "fk")
        monkeypatch.setenv(endpoint.PASSWORD_ENV, "s3cret")
        assert fast(url).select("ASK {}").rows == [[True]]
        monkeypatch.setenv(endpoint.PASSWORD_ENV, "wrong")
        with pytest.raises(endpoint.EndpointError) as e:
            fast(url).select("ASK {}")
        assert "refused the credentials" in str(e.value) and "wrong" not in str(e.value)
        monkeypatch.delenv(endpoint.USER_ENV)
        monkeypatch.delenv(endpoint.PASSWORD_ENV)
        netrc = tmp_path / "netrc"
        netrc.write_text("machine 127.0.0.1 login fk password s3cret\n")
        netrc.chmod(0o600)
        monkeypatch.setenv("NETRC", str(netrc))
        assert fast(url).select("ASK {}").rows == [[True]]
    with pytest.raises(endpoint.EndpointUsageError) as e:
        endpoint.Endpoint("http://fk:s3cret@127.0.0.1:1/query")
    assert "s3cret" not in str(e.value) and "ps" in str(e.value)


# ---- the same faults through the command line: one line, exit 1, no traceback --------------------

def _one_line_error(result, url):
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith(f"fkgraph: {url}")
    assert "Traceback" not in result.output
    return lines[0]


@pytest.mark.slow
def test_cli_faults_are_one_line_errors(tmp_path):
    url = f"http://127.0.0.1:{closed_port()}/query"
    line = _one_line_error(run("query", "most-exempted-statutes", "--endpoint", url), url)
    assert "cannot connect" in line
    with FaultServer("hang") as s:
        url = s.base + "/query"
        start = time.monotonic()
        line = _one_line_error(run("query", "most-exempted-statutes", "--endpoint", url, "--timeout", "1"), url)
        assert time.monotonic() - start < 4
        assert "within 1 s (the timeout)" in line
    with FaultServer("500") as s:
        url = s.base + "/query"
        line = _one_line_error(run("push", "--endpoint", url, "--no-validate", "--timeout", "5"), s.base + "/store")
        assert "server error 500" in line
    with FaultServer("static", tmp_path) as s:
        url = s.base + "/sparql"
        line = _one_line_error(run("query", "most-exempted-statutes", "--endpoint", url), url)
        assert "404" in line


def test_cli_usage_errors_exit_2():
    r = run("query", "most-exempted-statutes", "--endpoint", "http://me:pw@127.0.0.1:1/query")
    assert r.exit_code == 2 and "pw" not in r.output.replace("ps`", "")
    r = run("query", "most-exempted-statutes", "--endpoint", "ftp://example.org/sparql")
    assert r.exit_code == 2 and "http(s)" in r.output
    r = run("query", "most-exempted-statutes", "--graph", GRAPH)
    assert r.exit_code == 2 and "--endpoint" in r.output


def test_endpoint_errors_are_fkgraph_errors_with_their_exit_codes():
    from fkgraph.errors import FkgraphError, UsageError

    failing, usage = endpoint.EndpointError("http://h/query", "down"), endpoint.EndpointUsageError("http://h/q", "bad")
    assert isinstance(failing, FkgraphError) and (failing.code, failing.exit_code) == (1, 1)
    assert isinstance(usage, UsageError) and (usage.code, usage.exit_code) == (2, 2)


def test_read_only_server_refuses_push_and_update(built, tmp_path):
    from fkgraph.sparql.serve import write_store
    write_store(built.store, tmp_path / "store")
    with Oxigraph(tmp_path / "store", read_only=True) as s:
        ep = fast(s.url)
        assert ep.count() == len(built)
        with pytest.raises(endpoint.EndpointError) as e:
            upload.push(built.store, ep, replace=True)
        assert "403" in str(e.value)
        with pytest.raises(endpoint.EndpointError) as e:
            ep.update("DELETE WHERE { ?s ?p ?o }")
        assert "update refused: 403" in str(e.value) and "read-only" in str(e.value)
        assert ep.count() == len(built)


LISTED = sorted(n for n, q in catalogue.catalogue(ROOT / "queries").items() if q.lists)


@pytest.mark.parametrize("name", LISTED)
def test_list_bearing_queries_give_byte_identical_csv_remotely(name, pushed, built, server):
    """List cells are sorted on both paths, so no GROUP_CONCAT leeway is needed: the CSV is the same."""
    q = catalogue.find(name, ROOT / "queries")
    values = _param_sets(q)[0]
    local = api.query(name, values, built=built, home=ROOT)
    remote = endpoint.query(name, endpoint.Endpoint(server.url, graph=GRAPH, timeout=60), values, home=ROOT)
    assert local.rows, name
    assert results.render(remote, "csv") == results.render(local, "csv")
