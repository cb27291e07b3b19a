"""Talk to any SPARQL 1.1 endpoint: query (Protocol), update, and upload (Graph Store Protocol).

The protocols are spoken with `requests` (SPARQLWrapper has no Graph Store Protocol), which gives:
a connect timeout and a total deadline enforced while the answer streams in (a server that never
answers, or dribbles, stops at `timeout`); bounded retries with backoff (urllib3's `Retry` on the
session's adapter) on connection errors and 5xx answers only, never on 4xx or a query that timed
out; credentials from `FKGRAPH_ENDPOINT_USER` / `FKGRAPH_ENDPOINT_PASSWORD` or `~/.netrc`, never
from a command-line argument (a URL with `user:password@` is refused: it shows in `ps`), Basic
switching to Digest when the server asks (Virtuoso's `sparql-graph-crud-auth`). Results are read
by pyoxigraph into the embedded store's terms; failures are `EndpointError`, one line naming the
endpoint. Stored queries run remotely with the text the embedded engine runs
(`binding.bound_text`), and give the same plain values (`results.value`); parameters are
resolved *against the endpoint* (see `query`).
"""
from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pyoxigraph as ox
from fkgraph.errors import FkgraphError, UsageError, redact
from fkgraph.sparql.binding import bindings, bound_text
from fkgraph.sparql.catalogue import Query, find, internal
from fkgraph.sparql.remote_store import RemoteStore, substitute
from fkgraph.sparql.resolve import resolver
from fkgraph.sparql.transport import (MAX_ANSWER_ENV, MAX_NESTING, MIN_ITEM_BYTES, Retry as _Retry,
                                      TooLarge as _TooLarge, Deadline as _Deadline, Watch as _Watch,
                                      adapter as _adapter, max_answer_bytes, max_items, read as _read,
                                      too_deep as _too_deep)
from fkgraph.sparql.results import Graph, Rows, sort_lists, value

USER_ENV = "FKGRAPH_ENDPOINT_USER"
PASSWORD_ENV = "FKGRAPH_ENDPOINT_PASSWORD"
RESULTS_JSON = "application/sparql-results+json"
RESULTS_XML = "application/sparql-results+xml"
NTRIPLES = "application/n-triples"
DEFAULT_TIMEOUT = 60.0
_RETRY_STATUS = frozenset(range(500, 600)) - {501, 505}  # 501/505: will not change on retry
_NOT_RUNNING = "is the server running and is the URL right?"
_NOT_SPARQL = "is this URL a SPARQL endpoint? (Oxigraph: …/query, Fuseki: …/DATASET/sparql)"


class EndpointError(FkgraphError):
    """The endpoint could not be used: names the endpoint, what went wrong and, where known, the fix.

    `code` is the exit status the CLI uses: 1 for a failing or unsuitable server, 2 for a usage
    error (a bad URL, credentials on the command line).
    """

    code = 1

    def __init__(self, endpoint: str, what: str, hint: str = ""):
        self.endpoint = public_url(endpoint)
        self.what = redact(what)
        self.hint = redact(hint)
        super().__init__(f"{self.endpoint}: {self.what}" + (f"; {self.hint}" if self.hint else ""))

    @property
    def exit_code(self) -> int:
        return self.code


class EndpointUsageError(EndpointError, UsageError):
    code = 2


def public_url(url: str) -> str:
    """The URL as it may be shown: without any user:password part or credential query values."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact(url)
    if parts.username or parts.password:
        netloc = parts.hostname or ""
        if parts.port:
            netloc += f":{parts.port}"
        url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return redact(url)


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
    _sessions: dict = field(default_factory=dict, repr=False, compare=False)
    _digest: bool = field(default=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for label, url in (("endpoint", self.url), ("store", self.store), ("update", self.update_url)):
            if url is not None:
                _check_url(url, label)
        if self.graph is not None and not _is_iri(self.graph):
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

    def _session(self, retry: bool):
        """A session (honouring proxy and CA-bundle settings from the environment) whose adapter
        retries connection errors and 5xx answers `retries` times, or never."""
        if retry not in self._sessions:
            import requests
            adapter = _adapter(max_retries=_Retry(
                total=max(0, self.retries) if retry else 0, allowed_methods=None, status_forcelist=_RETRY_STATUS,
                backoff_factor=self.backoff, raise_on_status=False, respect_retry_after_header=False))
            session = requests.Session()
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            self._sessions[retry] = session
        return self._sessions[retry]

    def request(self, method: str, url: str, *, params=None, data=None, headers=None,
                timeout: float | None = None, retry: bool = True) -> tuple[Any, bytes]:
        """One HTTP exchange (retried by the session); returns (response, body) or raises EndpointError.
        `timeout` is the deadline for the whole exchange (retries, headers and the streamed answer
        included); the answer is capped at `max_answer_bytes()`."""
        timeout = self.timeout if timeout is None else timeout
        start = time.monotonic()
        with _Watch(timeout) as watch:
            r, body = self._exchange(method, url, params, data, headers, timeout, retry, start, watch)
        if r.status_code == 401 and not self._digest and "digest" in r.headers.get("WWW-Authenticate", "").lower() \
                and self._auth(url) is not None:
            self._digest = True
            left = max(0.001, timeout - (time.monotonic() - start))
            return self.request(method, url, params=params, data=data, headers=headers, timeout=left, retry=retry)
        if r.status_code in _RETRY_STATUS:
            made = 1 + len(getattr(getattr(r.raw, "retries", None), "history", ()) or ())
            raise EndpointError(url, f"server error {r.status_code} {r.reason}{_snippet(body)}"
                                + (f" after {made} attempts" if made > 1 else ""),
                                "the server failed; try again later or ask its operator")
        return r, body

    def _exchange(self, method, url, params, data, headers, timeout, retry, start, watch):
        import requests

        cap = max_answer_bytes()
        connect = min(self.connect_timeout, timeout)
        tries = f" after {1 + self.retries} attempts" if retry and self.retries > 0 else ""
        try:
            r = self._session(retry).request(method, url, params=params, data=data, headers=headers,
                                             auth=self._auth(url), stream=True, timeout=(connect, timeout))
        except requests.exceptions.RequestException as e:
            if watch.fired or isinstance(e, requests.exceptions.ReadTimeout):
                raise _timed_out(url, timeout) from None
            if isinstance(e, requests.exceptions.ConnectTimeout):
                raise EndpointError(url, f"cannot connect within {connect:g} s{tries}", _NOT_RUNNING) from None
            if isinstance(e, requests.exceptions.ConnectionError):
                raise EndpointError(url, f"cannot connect ({_reason(e)}){tries}", _NOT_RUNNING) from None
            raise EndpointError(url, f"request failed ({_reason(e)})") from None
        try:
            body = _read(r, start + timeout, cap)
            if watch.fired:  # a connection shut at the deadline reads as a short, complete answer
                raise _Deadline()
            return r, body
        except _TooLarge:
            raise EndpointError(url, f"the answer is larger than {cap / 1e6:g} MB, the cap",
                                f"raise it with {MAX_ANSWER_ENV}=MEGABYTES, or narrow the query") from None
        except (_Deadline, requests.exceptions.RequestException, OSError) as e:
            if watch.fired or isinstance(e, _Deadline) or "timed out" in str(e).lower():
                raise _timed_out(url, timeout, "the answer did not finish") from None
            raise EndpointError(url, f"the connection broke while reading the answer ({_reason(e)})",
                                "the server or the network dropped the connection") from None
        finally:
            r.close()

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

    def select(self, text: str, timeout: float | None = None, in_graph: bool = True) -> Rows:
        """Run SPARQL text: rows of plain values as `results.value` gives them (SELECT, ASK), or a
    Graph (CONSTRUCT, DESCRIBE)."""
        return _rows(*self.solutions(text, timeout, in_graph, row=_values))

    def solutions(self, text: str, timeout: float | None = None, in_graph: bool = True,
                  row=None) -> tuple[list[str], list[ox.QuerySolution] | bool]:
        """Run SELECT or ASK text: (columns, pyoxigraph solutions), or (["result"], bool) for ASK.
        With `in_graph` the target graph is the query's default graph; with `row`, each solution
        is given as `row(solution)`, converted as it is read."""
        data = {"query": text}
        if self.graph and in_graph:
            data["default-graph-uri"] = self.graph
        headers = {"Accept": f"{RESULTS_JSON}, {RESULTS_XML};q=0.9, {NTRIPLES};q=0.8, text/turtle;q=0.7",
                   "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}
        r, body = self.request("POST", self.url, data=data, headers=headers, timeout=timeout)
        if r.status_code in (405, 501) and len(text) < 6000:
            # the Protocol allows query via GET or POST; some services accept only GET
            r, body = self.request("GET", self.url, params=data, headers={"Accept": headers["Accept"]}, timeout=timeout)
        if r.status_code == 400:
            raise EndpointError(self.url, f"the server rejected the query: 400 Bad Request{_snippet(body)}")
        if r.status_code >= 300:
            self._fail(self.url, r, body, "query", "no SPARQL endpoint at this URL (Oxigraph: …/query, Fuseki: …/DATASET/sparql)")
        return _parse_terms(body, r.headers.get("Content-Type", ""), self.url, row)

    def terms(self, text: str, timeout: float | None = None) -> list[ox.QuerySolution]:
        """Run a SELECT; each solution as pyoxigraph gives it (`sol["s"]`, `sol[0]`)."""
        columns, solutions = self.solutions(text, timeout)
        if isinstance(solutions, bool) or columns is None:
            raise EndpointError(self.url, "expected SELECT results, got a boolean or a graph")
        return solutions

    def count(self) -> int:
        """Triples in the target graph (`graph`, or the default graph)."""
        if self.graph:
            text = substitute(internal("count-graph"), "graph", ox.NamedNode(self.graph))
        else:
            text = internal("count")
        rows = self.select(text, in_graph=False)
        if isinstance(rows, Graph) or len(rows.rows) != 1 or not isinstance(rows.rows[0][0], int):
            raise EndpointError(self.url, f"the triple count came back as {getattr(rows, 'rows', 'a graph')!r}, "
                                          f"not one integer")
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


def _timed_out(url: str, timeout: float, what: str = "no answer") -> EndpointError:
    return EndpointError(url, f"{what} within {timeout:g} s (the timeout); stopped waiting",
                         "raise --timeout, or ask the server's operator why the query is slow")


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


def _is_iri(text: str) -> bool:
    """An absolute IRI, as pyoxigraph (and so the count query) reads it."""
    try:
        ox.NamedNode(text)
    except ValueError:
        return False
    return True


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

_READ = {ox.QueryResultsFormat.JSON: ("JSON", "expected head.vars and results.bindings, or boolean"),
         ox.QueryResultsFormat.XML: ("XML", "expected <sparql> with <head> and <results>, or <boolean>"),
         ox.QueryResultsFormat.TSV: ("TSV", "expected a header line of ?variables")}


def _parse_terms(body: bytes, content_type: str, url: str, row=None) -> tuple[list[str], list | bool]:
    """SPARQL results (JSON, XML or TSV) → (columns, pyoxigraph solutions, or `row(solution)` for
    each, read one at a time) or (["result"], bool); an RDF answer (CONSTRUCT, DESCRIBE) → (None,
    triples). At most `max_items()` solutions or triples."""
    ctype = content_type.split(";")[0].strip().lower()
    graph = ox.RdfFormat.from_media_type(ctype) if ctype else None
    if _too_deep(body, ctype):
        raise EndpointError(url, f"the answer nests triple terms deeper than {MAX_NESTING} levels; refused unread",
                            "a SPARQL endpoint does not answer like this")
    if graph is not None:
        try:
            return None, _take((q.triple for q in ox.parse(body, format=graph)), url)
        except SyntaxError as e:
            raise EndpointError(url, f"malformed RDF in the answer ({e})") from None
    fmt = ox.QueryResultsFormat.from_media_type(ctype) if ctype else None
    if fmt not in _READ:  # not results, or CSV (which loses the terms' types)
        raise EndpointError(url, f"answered with {ctype or 'no content type'}, not SPARQL results{_snippet(body)[:80]}",
                            _NOT_SPARQL)
    try:
        parsed = ox.parse_query_results(body, fmt)
        if isinstance(parsed, ox.QueryBoolean):
            return ["result"], bool(parsed)
        # solutions are read lazily: errors show here
        return [v.value for v in parsed.variables], _take(map(row, parsed) if row else parsed, url)
    except RecursionError:
        raise EndpointError(url, "the answer nests too deeply to read") from None
    except EndpointError:
        parsed = None
        raise
    except (SyntaxError, ValueError) as e:
        parsed = None  # pyoxigraph's reader must be dropped on this thread, not by a later GC elsewhere
        label, shape = _READ[fmt]
        tail = " ".join(body[-120:].decode("utf-8", "replace").split())
        raise EndpointError(url, f"malformed SPARQL results: the {label} does not parse ({e}); "
                                 f"the answer ends with {tail!r}", shape) from None


def _take(items, url: str) -> list:
    """`items` as a list, refused past `max_items()` (`{}` rows pack many into few bytes)."""
    limit, out = max_items(), []
    for item in items:
        out.append(item)
        if len(out) > limit:
            items = out = None  # the reader goes now, on this thread
            raise EndpointError(url, f"the answer holds more than {limit:,} solutions or triples (one per "
                                     f"{MIN_ITEM_BYTES} bytes of the {max_answer_bytes() / 1e6:g} MB cap)",
                                f"raise the cap with {MAX_ANSWER_ENV}=MEGABYTES, or narrow the query")
    return out


def _values(solution: ox.QuerySolution) -> list:
    return [value(t) for t in solution]


def _rows(columns: list[str] | None, items: list | bool) -> Rows | Graph:
    if columns is None:
        return Graph(items)
    return Rows(columns, [[items]] if isinstance(items, bool) else items)


def parse_results(body: bytes, content_type: str, url: str = "endpoint") -> Rows:
    """A SPARQL results document (JSON, XML or TSV) as Rows of plain values, as the embedded engine gives them."""
    return _rows(*_parse_terms(body, content_type, url, _values))


# ---- stored queries, remotely ------------------------------------------------------------------

def _canonicalizer(home):
    """Citation text → canonical text (for provision parameters), from statutes.yaml alone."""
    from fkgraph import config
    from fkgraph.model import citations, records

    try:
        index = records.statute_index(config.data_dir(home))
    except Exception:  # no statutes at hand: names, codes and IRIs still resolve
        return None
    return citations.canonicalizer(index)


def as_endpoint(target: Endpoint | str, graph: str | None = None, timeout: float | None = None) -> Endpoint:
    if isinstance(target, Endpoint):
        return target
    return Endpoint(target, graph=graph, timeout=DEFAULT_TIMEOUT if timeout is None else timeout)


def query(name: str | Query, target: Endpoint | str, params: dict[str, str] | None = None,
          home: str | os.PathLike | None = None, graph: str | None = None,
          timeout: float | None = None) -> Rows:
    """Run a stored query (by name, .rq path or Query) on a remote endpoint.

    Same parameters, same binding, same text as the embedded engine (`binding.bound_text`), same
    plain values back. Typed names, codes and citations are resolved **against the endpoint**,
    not against a local build: the endpoint is what the query will read, it may hold a newer or
    older build (or one minted under another `--base`), and a remote query should not need to
    build the graph locally first. Citation text is canonicalised with the statute list from
    `data/statutes.yaml`, the same grammar the embedded resolver uses.
    """
    ep = as_endpoint(target, graph, timeout)
    if isinstance(name, Query):
        q = name
    else:
        from fkgraph import config
        q = find(name, config.queries_dir(home))
    resolve = resolver(RemoteStore(ep), _canonicalizer(home))
    text = bound_text(q, bindings(q, params or {}, resolve))
    rows = ep.select(text)
    if isinstance(rows, Graph):
        return rows
    if q.columns and rows.columns != q.columns and sorted(rows.columns) == sorted(q.columns):
        # A server may list the variables in its own order; keep the query's projection order.
        order = [rows.columns.index(c) for c in q.columns]
        rows = Rows(list(q.columns), [[r[i] for i in order] for r in rows.rows])
    return sort_lists(q, rows)
