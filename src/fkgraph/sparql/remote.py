"""Talk to any SPARQL 1.1 endpoint: query (Protocol), update, and upload (Graph Store Protocol).

fkgraph speaks the W3C protocols directly with `requests` rather than through SPARQLWrapper:
one HTTP client covers the query protocol *and* the Graph Store Protocol (SPARQLWrapper has no
GSP), and it gives exact control over what this module promises:

- **timeouts**: every request has a connect timeout and a total deadline (`timeout` seconds),
  enforced while the answer streams in, so a server that accepts and never answers (or dribbles)
  stops at the deadline with a clear message;
- **bounded retries** with exponential backoff on connection errors and 5xx answers only
  (never on 4xx, never on a query that timed out: repeating it would only wait longer);
- **credentials** from `FKGRAPH_ENDPOINT_USER` / `FKGRAPH_ENDPOINT_PASSWORD` or `~/.netrc`,
  never from a command-line argument (a URL with `user:password@` is refused: it shows in `ps`);
  HTTP Basic, switching to Digest when the server asks for it (Virtuoso's `sparql-graph-crud-auth`);
- **errors** as `EndpointError`, one line naming the endpoint and what went wrong.

Stored queries run remotely with exactly the text the embedded engine runs
(`queries.bound_text`), and results come back as the same plain values (`queries.value`).
Parameters are resolved *against the endpoint* (see `query`).
"""
from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlsplit, urlunsplit

import pyoxigraph as ox

from fkgraph.sparql import queries as _queries

USER_ENV = "FKGRAPH_ENDPOINT_USER"
PASSWORD_ENV = "FKGRAPH_ENDPOINT_PASSWORD"
RESULTS_JSON = "application/sparql-results+json"
RESULTS_XML = "application/sparql-results+xml"
NTRIPLES = "application/n-triples"
DEFAULT_TIMEOUT = 60.0
DEFAULT_CHUNK = 50_000


class EndpointError(Exception):
    """The endpoint could not be used: names the endpoint, what went wrong and, where known, the fix.

    `code` is the exit status the CLI uses: 1 for a failing or unsuitable server, 2 for a usage
    error (a bad URL, credentials on the command line).
    """

    code = 1

    def __init__(self, endpoint: str, what: str, hint: str = ""):
        self.endpoint = _public(endpoint)
        self.what = what
        self.hint = hint
        super().__init__(f"{self.endpoint}: {what}" + (f"; {hint}" if hint else ""))


class EndpointUsageError(EndpointError):
    code = 2


def _public(url: str) -> str:
    """The URL as it may be shown: without any user:password part."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.username or parts.password:
        netloc = parts.hostname or ""
        if parts.port:
            netloc += f":{parts.port}"
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return url


def _sibling(url: str, name: str) -> str:
    """`http://h/ds/query` → `http://h/ds/{name}`: Oxigraph's and Fuseki's layout."""
    parts = urlsplit(url)
    path = parts.path
    if re.search(r"/(query|sparql)/?$", path):
        path = re.sub(r"/(query|sparql)/?$", "/" + name, path)
    else:
        path = path.rstrip("/") + "/" + name
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


@dataclass
class Endpoint:
    """A SPARQL 1.1 service.

    `url` is the query endpoint. `store` is the Graph Store Protocol endpoint and `update_url`
    the update endpoint; both default to siblings of `url` in Oxigraph's layout (`…/query` →
    `…/store`, `…/update`); give them for other stores (see the README). `graph` names the
    graph to read and write: queries see it as their default graph (`default-graph-uri`), push
    writes it; `None` means the store's default graph.
    """

    url: str
    store: str | None = None
    update_url: str | None = None
    graph: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    retries: int = 3
    backoff: float = 0.5
    connect_timeout: float = 5.0
    _session: Any = field(default=None, repr=False, compare=False)
    _digest: bool = field(default=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for label, value in (("endpoint", self.url), ("store", self.store), ("update", self.update_url)):
            if value is not None:
                _check_url(value, label)
        if self.graph is not None and not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]*$", self.graph):
            raise EndpointUsageError(self.url, f"--graph {self.graph!r} is not an absolute IRI",
                                     "write e.g. https://w3id.org/fkgraph/graph")
        if self.timeout is not None and self.timeout <= 0:
            raise EndpointUsageError(self.url, f"timeout {self.timeout} must be more than 0 seconds")
        self.store = self.store or _sibling(self.url, "store")
        self.update_url = self.update_url or _sibling(self.url, "update")

    # ---- HTTP -----------------------------------------------------------------------------------

    def _auth(self, url: str):
        import requests

        user, password = os.environ.get(USER_ENV), os.environ.get(PASSWORD_ENV)
        if user is None and password is None:
            found = requests.utils.get_netrc_auth(url)
            if not found:
                return None
            user, password = found
        if self._digest:
            return requests.auth.HTTPDigestAuth(user or "", password or "")
        return (user or "", password or "")

    def request(self, method: str, url: str, *, params=None, data=None, headers=None,
                timeout: float | None = None, retry: bool = True) -> tuple[Any, bytes]:
        """One HTTP exchange with retries; returns (response, body) or raises EndpointError."""
        import requests

        if self._session is None:
            self._session = requests.Session()  # honours proxy and CA-bundle settings from the environment
        timeout = self.timeout if timeout is None else timeout
        attempts = 1 + (max(0, self.retries) if retry else 0)
        last, hint = "", "is the server running and is the URL right?"
        for attempt in range(attempts):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            start = time.monotonic()
            try:
                r = self._session.request(method, url, params=params, data=data, headers=headers,
                                          auth=self._auth(url), stream=True,
                                          timeout=(min(self.connect_timeout, timeout), timeout))
            except requests.exceptions.ReadTimeout:
                raise _timed_out(url, timeout) from None
            except requests.exceptions.ConnectTimeout:
                last = f"cannot connect within {min(self.connect_timeout, timeout):g} s"
                hint = "is the server running and is the URL right?"
                continue
            except requests.exceptions.ConnectionError as e:
                last = f"cannot connect ({_reason(e)})"
                hint = "is the server running and is the URL right?"
                continue
            except requests.exceptions.RequestException as e:
                raise EndpointError(url, f"request failed ({_reason(e)})") from None
            try:
                body = _read(r, start + timeout)
            except _Deadline:
                raise _timed_out(url, timeout, "the answer did not finish") from None
            except requests.exceptions.RequestException as e:
                if "timed out" in str(e).lower():
                    raise _timed_out(url, timeout, "the answer stopped coming") from None
                last = f"the connection broke while reading the answer ({_reason(e)})"
                hint = "the server or the network dropped the connection"
                continue
            if r.status_code == 401 and not self._digest and "digest" in r.headers.get("WWW-Authenticate", "").lower() \
                    and self._auth(url) is not None:
                self._digest = True
                return self.request(method, url, params=params, data=data, headers=headers, timeout=timeout, retry=retry)
            if r.status_code >= 500 and r.status_code not in (501, 505):  # 501/505: will not change on retry
                last = f"server error {r.status_code} {r.reason}{_snippet(body)}"
                hint = "the server failed; try again later or ask its operator"
                continue
            return r, body
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        raise EndpointError(url, last + tries, hint)

    def _fail(self, url: str, r, body: bytes, doing: str, not_found_hint: str):
        code = r.status_code
        if code in (401, 403):
            has_creds = self._auth(url) is not None
            hint = ("the server refused the credentials from the environment or ~/.netrc" if has_creds and code == 401 else
                    f"set {USER_ENV} and {PASSWORD_ENV} or add the host to ~/.netrc" if not has_creds else
                    "the account may not write here, or the server is read-only")
            raise EndpointError(url, f"{doing} refused: {code} {r.reason}{_snippet(body)}", hint)
        if code == 404:
            raise EndpointError(url, f"{doing}: 404 Not Found", not_found_hint)
        if code in (405, 501):
            raise EndpointError(url, f"{doing}: {code} {r.reason} (the server does not offer this method here)",
                                not_found_hint)
        raise EndpointError(url, f"{doing}: HTTP {code} {r.reason}{_snippet(body)}")

    # ---- query ----------------------------------------------------------------------------------

    def select(self, text: str, timeout: float | None = None, in_graph: bool = True) -> _queries.Rows:
        """Run SPARQL text (SELECT or ASK); rows of plain values as `queries.value` gives them."""
        columns, solutions = self.solutions(text, timeout, in_graph)
        if isinstance(solutions, bool):
            return _queries.Rows(columns, [[solutions]])
        return _queries.Rows(columns, [[_queries.value(s.get(c)) for c in columns] for s in solutions])

    def solutions(self, text: str, timeout: float | None = None,
                  in_graph: bool = True) -> tuple[list[str], list[dict] | bool]:
        """Run SELECT or ASK text: (columns, solutions as {variable: pyoxigraph term}), or
        (["result"], bool) for ASK. With `in_graph` the target graph is the query's default graph."""
        data = {"query": text}
        if self.graph and in_graph:
            data["default-graph-uri"] = self.graph
        headers = {"Accept": f"{RESULTS_JSON}, {RESULTS_XML};q=0.9",
                   "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}
        r, body = self.request("POST", self.url, data=data, headers=headers, timeout=timeout)
        if r.status_code in (405, 501) and len(text) < 6000:
            # the Protocol allows query via GET or POST; some services accept only GET
            r, body = self.request("GET", self.url, params=data, headers={"Accept": headers["Accept"]}, timeout=timeout)
        if r.status_code == 400:
            raise EndpointError(self.url, f"the server rejected the query: 400 Bad Request{_snippet(body)}")
        if r.status_code >= 300:
            self._fail(self.url, r, body, "query", "no SPARQL endpoint at this URL (Oxigraph: …/query, Fuseki: …/DATASET/sparql)")
        return _parse_terms(body, r.headers.get("Content-Type", ""), self.url)

    def terms(self, text: str, timeout: float | None = None) -> list[dict[str, Any]]:
        """Run a SELECT; each solution as {variable: pyoxigraph term}."""
        columns, solutions = self.solutions(text, timeout)
        if isinstance(solutions, bool):
            raise EndpointError(self.url, "expected SELECT results, got a boolean")
        return solutions

    def count(self) -> int:
        """Triples in the target graph (`graph`, or the default graph)."""
        where = f"GRAPH <{self.graph}> {{ ?s ?p ?o }}" if self.graph else "?s ?p ?o"
        rows = self.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}", in_graph=False)
        if len(rows.rows) != 1 or not isinstance(rows.rows[0][0], int):
            raise EndpointError(self.url, f"the triple count came back as {rows.rows!r}, not one integer")
        return rows.rows[0][0]

    def update(self, text: str, timeout: float | None = None) -> None:
        """Run a SPARQL 1.1 Update (form-encoded `update=` to the update endpoint)."""
        r, body = self.request("POST", self.update_url, data={"update": text}, timeout=timeout,
                               headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}, retry=False)
        if r.status_code >= 300:
            self._fail(self.update_url, r, body, "update", "no SPARQL update service at this URL")

    # ---- Graph Store Protocol -------------------------------------------------------------------

    def _graph_url(self) -> tuple[str, dict | None]:
        if self.graph:
            return self.store, {"graph": self.graph}
        return self.store + ("&" if "?" in self.store else "?") + "default", None

    def send(self, data: bytes, replace: bool, timeout: float | None = None) -> None:
        """PUT (replace the graph) or POST (add to it) one N-Triples document."""
        url, params = self._graph_url()
        r, body = self.request("PUT" if replace else "POST", url, params=params, data=data,
                               headers={"Content-Type": NTRIPLES}, timeout=timeout)
        if r.status_code >= 300:
            self._fail(self.store, r, body, "upload (" + ("PUT" if replace else "POST") + ")",
                       "no Graph Store Protocol service at this URL; give it with --store "
                       "(Oxigraph: …/store, Fuseki: …/DATASET/data, GraphDB: …/repositories/ID/rdf-graphs/service)")


class _Deadline(Exception):
    pass


def _timed_out(url: str, timeout: float, what: str = "no answer") -> EndpointError:
    return EndpointError(url, f"{what} within {timeout:g} s (the timeout); stopped waiting",
                         "raise --timeout, or ask the server's operator why the query is slow")


def _read(r, deadline: float) -> bytes:
    chunks = []
    for chunk in r.iter_content(chunk_size=65536):
        chunks.append(chunk)
        if time.monotonic() > deadline:
            r.close()
            raise _Deadline()
    return b"".join(chunks)


def _reason(e: Exception) -> str:
    text = str(e)
    for pattern in (r"\[Errno -?\d+\] ([^'\")\]]+)", r"(Connection refused)", r"(Name or service not known)",
                    r"(Remote end closed connection without response)", r"(Connection reset by peer)"):
        m = re.search(pattern, text)
        if m:
            return m.group(1).strip()
    return type(e).__name__


def _snippet(body: bytes) -> str:
    text = body[:2000].decode("utf-8", "replace")
    text = re.sub(r"<[^>]+>", " ", text) if "<html" in text[:200].lower() else text
    text = " ".join(text.split())
    return f": {text[:200]}{'…' if len(text) > 200 else ''}" if text else ""


def _check_url(url: str, label: str) -> None:
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise EndpointUsageError(url, f"the {label} URL is not an http(s) URL", "write e.g. http://127.0.0.1:7878/query")
    if parts.username or parts.password:
        raise EndpointUsageError(url, f"the {label} URL carries credentials, which show in `ps` and shell history",
                                 f"set {USER_ENV} and {PASSWORD_ENV}, or add the host to ~/.netrc")


# ---- results -----------------------------------------------------------------------------------

XSD = _queries.XSD


def _term(cell: Any, url: str):
    if not isinstance(cell, dict) or "type" not in cell or "value" not in cell or not isinstance(cell["value"], str):
        raise EndpointError(url, f"malformed SPARQL results: a binding is {str(cell)[:80]!r}",
                            "expected {\"type\": …, \"value\": …}")
    kind, value = cell["type"], cell["value"]
    try:
        if kind == "uri":
            return ox.NamedNode(value)
        if kind == "bnode":
            return ox.BlankNode(value) if re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", value) else ox.BlankNode()
        if kind in ("literal", "typed-literal"):
            if cell.get("xml:lang"):
                return ox.Literal(value, language=cell["xml:lang"])
            if cell.get("datatype"):
                return ox.Literal(value, datatype=ox.NamedNode(cell["datatype"]))
            return ox.Literal(value)
    except (ValueError, TypeError) as e:
        raise EndpointError(url, f"malformed SPARQL results: bad term {value[:80]!r} ({e})") from None
    raise EndpointError(url, f"malformed SPARQL results: unknown term type {kind!r}")


def _parse_terms(body: bytes, content_type: str, url: str) -> tuple[list[str], list[dict] | bool]:
    """SPARQL results (JSON or XML) → (columns, solutions as {var: term}) or (["result"], bool)."""
    ctype = content_type.split(";")[0].strip().lower()
    if ctype in (RESULTS_XML, "application/xml", "text/xml"):
        return _parse_xml(body, url)
    if ctype not in (RESULTS_JSON, "application/json"):
        shown = ctype or "no content type"
        raise EndpointError(url, f"answered with {shown}, not SPARQL results{_snippet(body)[:80]}",
                            "is this URL a SPARQL endpoint? (Oxigraph: …/query, Fuseki: …/DATASET/sparql)")
    import json

    try:
        doc = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        tail = " ".join(body[-120:].decode("utf-8", "replace").split())
        raise EndpointError(url, f"malformed SPARQL results: not JSON ({e}); the answer ends with {tail!r}") from None
    if not isinstance(doc, dict):
        raise EndpointError(url, "malformed SPARQL results: the document is not a JSON object")
    if "boolean" in doc:
        if not isinstance(doc["boolean"], bool):
            raise EndpointError(url, "malformed SPARQL results: \"boolean\" is not true or false")
        return ["result"], doc["boolean"]
    head, results = doc.get("head"), doc.get("results")
    if not isinstance(head, dict) or not isinstance(head.get("vars"), list) or not isinstance(results, dict) \
            or not isinstance(results.get("bindings"), list):
        raise EndpointError(url, "malformed SPARQL results: expected head.vars and results.bindings")
    columns = [str(v) for v in head["vars"]]
    solutions = []
    for b in results["bindings"]:
        if not isinstance(b, dict):
            raise EndpointError(url, "malformed SPARQL results: a solution is not a JSON object")
        solutions.append({k: _term(v, url) for k, v in b.items()})
    return columns, solutions


def _parse_xml(body: bytes, url: str) -> tuple[list[str], list[dict] | bool]:
    import xml.etree.ElementTree as ET

    ns = "{http://www.w3.org/2005/sparql-results#}"
    try:
        root = ET.fromstring(body)
    except ET.ParseError as e:
        raise EndpointError(url, f"malformed SPARQL results: not XML ({e})") from None
    if root.tag != ns + "sparql":
        raise EndpointError(url, f"malformed SPARQL results: root element is {root.tag}, not sparql")
    boolean = root.find(ns + "boolean")
    if boolean is not None:
        return ["result"], (boolean.text or "").strip() == "true"
    columns = [v.get("name") for v in root.iter(ns + "variable")]
    solutions = []
    for result in root.iter(ns + "result"):
        sol = {}
        for binding in result.findall(ns + "binding"):
            node = next(iter(binding), None)
            if node is None:
                continue
            tag = node.tag.replace(ns, "")
            cell = {"type": {"uri": "uri", "bnode": "bnode", "literal": "literal"}.get(tag, tag), "value": node.text or ""}
            if node.get("datatype"):
                cell["datatype"] = node.get("datatype")
            if node.get("{http://www.w3.org/XML/1998/namespace}lang"):
                cell["xml:lang"] = node.get("{http://www.w3.org/XML/1998/namespace}lang")
            sol[binding.get("name")] = _term(cell, url)
        solutions.append(sol)
    return columns, solutions


def parse_results(body: bytes, content_type: str, url: str = "endpoint") -> _queries.Rows:
    """A SPARQL results document (JSON or XML) as Rows of plain values, as the embedded engine gives them."""
    columns, solutions = _parse_terms(body, content_type, url)
    if isinstance(solutions, bool):
        return _queries.Rows(columns, [[solutions]])
    return _queries.Rows(columns, [[_queries.value(s.get(c)) for c in columns] for s in solutions])


# ---- stored queries, remotely ------------------------------------------------------------------

class Solution(dict):
    """One query solution: `sol["s"]`, `sol[ox.Variable("s")]` or `sol[0]`, like pyoxigraph's."""

    def __init__(self, columns: list[str], terms: dict):
        super().__init__(terms)
        self._columns = columns

    def __getitem__(self, key):
        if isinstance(key, int):
            key = self._columns[key]
        elif isinstance(key, ox.Variable):
            key = key.value
        return dict.get(self, key)


class RemoteStore:
    """A read-only stand-in for `pyoxigraph.Store` over an endpoint: `query(text, substitutions=…)`
    and `quads_for_pattern(s, p, o)`, so code written for the embedded store (the parameter
    resolver in `queries`) runs unchanged against the endpoint.

    pyoxigraph's substitutions bind a variable everywhere in the query, filters in nested groups
    included; a VALUES block would not reach those (SPARQL evaluates groups bottom-up). So each
    substituted variable is replaced, after the WHERE keyword, by its term written in N-Triples
    syntax by pyoxigraph (escaped and typed: a value can never become query syntax)."""

    def __init__(self, endpoint: Endpoint):
        self.endpoint = endpoint

    def query(self, text: str, substitutions: dict | None = None):
        for var, term in (substitutions or {}).items():
            text = substitute(text, var.value if isinstance(var, ox.Variable) else str(var).lstrip("?$"), term)
        columns, solutions = self.endpoint.solutions(text)
        if isinstance(solutions, bool):
            return solutions
        return [Solution(columns, sol) for sol in solutions]

    def quads_for_pattern(self, subject=None, predicate=None, object=None, graph_name=None):
        if graph_name is not None and not isinstance(graph_name, ox.DefaultGraph):
            raise NotImplementedError("RemoteStore reads the endpoint's target graph only")
        names = ("s", "p", "o")
        given = (subject, predicate, object)
        pattern = " ".join(str(t) if t is not None else "?" + n for t, n in zip(given, names))
        free = [n for t, n in zip(given, names) if t is None]
        text = f"SELECT {' '.join('?' + n for n in free) or '*'} WHERE {{ {pattern} }}"
        if not free:
            text = f"ASK {{ {pattern} }}"
            found = self.endpoint.solutions(text)[1]
            return iter([ox.Quad(subject, predicate, object, ox.DefaultGraph())] if found else [])
        _, solutions = self.endpoint.solutions(text)
        return iter([ox.Quad(*(t if t is not None else sol[n] for t, n in zip(given, names)), ox.DefaultGraph())
                     for sol in solutions])


def substitute(text: str, name: str, term) -> str:
    """Replace `?name` / `$name` after the first WHERE (not in strings, IRIs or comments) by `term`."""
    masked = _queries._mask(text)
    where = re.search(r"\bWHERE\s*\{", masked, re.I)
    start = where.end() if where else 0
    pattern = re.compile(r"[?$]" + re.escape(name) + r"(?![A-Za-z0-9_\u00B7\u00C0-\uFFFF])")
    out, last = [], 0
    for m in pattern.finditer(masked, start):
        out.append(text[last:m.start()])
        out.append(str(term))
        last = m.end()
    out.append(text[last:])
    return "".join(out)


def _canonicalizer(home):
    """Citation text → canonical text (for provision parameters), from statutes.yaml alone."""
    from fkgraph.model import citations
    from fkgraph.model import records
    from fkgraph import config

    try:
        data = records.load_yaml(config.data_dir(home) / "statutes.yaml")
        index = citations.StatuteIndex.from_records(list(data or []))
    except Exception:  # no statutes at hand: names, codes and IRIs still resolve
        return None
    return citations.canonicalizer(index)


def as_endpoint(target: Endpoint | str, graph: str | None = None, timeout: float | None = None) -> Endpoint:
    if isinstance(target, Endpoint):
        return target
    return Endpoint(target, graph=graph, timeout=DEFAULT_TIMEOUT if timeout is None else timeout)


def query(name: str | _queries.Query, target: Endpoint | str, params: dict[str, str] | None = None,
          home: str | os.PathLike | None = None, graph: str | None = None,
          timeout: float | None = None) -> _queries.Rows:
    """Run a stored query (by name, .rq path or Query) on a remote endpoint.

    Same parameters, same binding, same text as the embedded engine (`queries.bound_text`), same
    plain values back. Typed names, codes and citations are resolved **against the endpoint**,
    not against a local build: the endpoint is what the query will read, it may hold a newer or
    older build (or one minted under another `--base`), and a remote query should not need to
    build the graph locally first. Citation text is canonicalised with the statute list from
    `data/statutes.yaml`, the same grammar the embedded resolver uses.
    """
    ep = as_endpoint(target, graph, timeout)
    if isinstance(name, _queries.Query):
        q = name
    else:
        from fkgraph import config
        q = _queries.find(name, config.queries_dir(home))
    resolve = _queries.resolver(RemoteStore(ep), _canonicalizer(home))
    text = _queries.bound_text(q, _queries.bindings(q, params or {}, resolve))
    rows = ep.select(text)
    if q.columns and rows.columns != q.columns and sorted(rows.columns) == sorted(q.columns):
        # A server may list the variables in its own order; keep the query's projection order.
        order = [rows.columns.index(c) for c in q.columns]
        rows = _queries.Rows(list(q.columns), [[r[i] for i in order] for r in rows.rows])
    return _queries.sort_lists(q, rows)


# ---- push --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PushResult:
    endpoint: str
    graph: str | None
    triples: int      # sent
    chunks: int
    count: int        # in the target graph afterwards
    seconds: float


def chunks(store: ox.Store, size: int = DEFAULT_CHUNK) -> list[bytes]:
    """The default graph of `store` as N-Triples documents of at most `size` triples each.

    Blank-node labels are scoped to one document, so every triple that mentions a blank node
    goes into the first chunk together (fkgraph mints IRIs for everything; this is a guard)."""
    if size < 1:
        raise ValueError("chunk size must be at least 1")
    lines = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()).splitlines()
    lines = sorted(set(l for l in lines if l.strip()))
    blank = [l for l in lines if l.startswith(b"_:") or b" _:" in l]
    named = [l for l in lines if not (l.startswith(b"_:") or b" _:" in l)]
    out = [blank] if blank else []
    first = size - len(blank) if blank and len(blank) < size else 0
    if first:
        out[0] = blank + named[:first]
        named = named[first:]
    out += [named[i:i + size] for i in range(0, len(named), size)]
    return [b"\n".join(c) + b"\n" for c in out] or [b""]


def push(store: ox.Store, target: Endpoint | str, graph: str | None = None, replace: bool = False,
         chunk_size: int = DEFAULT_CHUNK, timeout: float | None = None,
         progress: Callable[[int], None] | None = None) -> PushResult:
    """Upload the default graph of `store` with the Graph Store Protocol, then check the count.

    `replace`: the first chunk is a PUT (replacing the target graph), the rest POSTs (adding);
    otherwise every chunk is a POST. Afterwards the triples in the target graph are counted: with
    `replace` the count must equal what was sent, otherwise be at least that. `progress(n)` is
    called with the number of triples sent by each chunk.
    """
    ep = as_endpoint(target, graph, timeout)
    if graph is not None and ep.graph is None:
        ep.graph = graph
    start = time.monotonic()
    docs = chunks(store, chunk_size)
    sent = 0
    for i, doc in enumerate(docs):
        ep.send(doc, replace=replace and i == 0)
        n = doc.count(b"\n") if doc else 0
        sent += n
        if progress:
            progress(n)
    count = ep.count()
    where = f"graph <{ep.graph}>" if ep.graph else "the default graph"
    if replace and count != sent:
        raise EndpointError(ep.url, f"after the upload {where} holds {count} triples, not the {sent} sent",
                            "another writer may be using it, or the store changed the data (inference?)")
    if not replace and count < sent:
        raise EndpointError(ep.url, f"after the upload {where} holds {count} triples, fewer than the {sent} sent")
    return PushResult(_public(ep.url), ep.graph, sent, len(docs), count, time.monotonic() - start)
