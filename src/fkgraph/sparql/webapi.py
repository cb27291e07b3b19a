"""The stored queries as a read-only web API (grlc's and Datasette's idea), beside the SPARQL
endpoint and the static site, on one port: a Starlette app (the optional extra `serve`).

- `GET /api/{query}[.csv|.tsv|.json|.jsonl|.srj]?name=value…`: one stored query, its parameters
  bound exactly as `fkgraph query -p` binds them (`binding.single_values`, `binding.bindings`, the
  resolver of `resolve.py`) and rendered by `results.render`, so an answer is byte for byte the
  command line's. The format comes from the extension, else from `Accept`, else JSON. An unknown
  query is 404, a value that cannot be bound 400 with the command line's one-line message, a
  query past the server's `timeout` 503 (it runs in a forked worker, killed at the deadline).
  Answers carry an ETag made of the build's and the request's content: a repeated request with
  `If-None-Match` is 304 without running the query.
- `GET /api/openapi.json`: an OpenAPI 3.1 description generated from the `#+` decorators.
- `/query` (and a Graph Store read on `/store`) is forwarded to the oxigraph server child with
  httpx; SPARQL Update and Graph Store writes are refused with 403 unless the service is writable.
  A query or update that calls another service (`SERVICE`) is refused with 403: the server must
  not fetch URLs for its callers (server-side request forgery). A request whose Host header is
  not the loopback address served is refused with 421 (DNS rebinding).
- `/`: the static site, when a folder is given.

The API answers from the store it was given; with a writable endpoint, what /update changes shows
on /query only.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path
from typing import Callable

import pyoxigraph as ox

from fkgraph.sparql import catalogue as _catalogue
from fkgraph.sparql.binding import bindings, bound_text, single_values
from fkgraph.sparql.catalogue import Query, QueryError, kind_text
from fkgraph.sparql.results import Graph, render, run, sorted_items

#: answer format → media type; the first is the default
MEDIA = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
    "jsonl": "application/jsonl",
    "srj": "application/sparql-results+json",
}
_ACCEPT = {"application/json": "json", "text/csv": "csv", "text/tab-separated-values": "tsv",
           "application/jsonl": "jsonl", "application/x-ndjson": "jsonl", "application/jsonlines": "jsonl",
           "application/sparql-results+json": "srj"}


class NotFound(QueryError):
    """No stored query of that name: 404."""


class Service:
    """The stored queries over one built store: what the web API answers, without HTTP. With
    `timeout` (seconds) each answer is computed in a forked worker stopped at the deadline
    (fkgraph.sparql.timeouts, as `fkgraph query --timeout`): pyoxigraph cannot cancel a query."""

    def __init__(self, store: ox.Store, queries_dir: str | Path, resolve: Callable | None = None,
                 build_id: str | None = None, timeout: float | None = None):
        self.store, self.resolve, self.timeout = store, resolve, timeout
        self.queries = _catalogue.catalogue(queries_dir)
        self.build_id = build_id or build_hash(store)

    def query(self, name: str) -> Query:
        if name not in self.queries:
            import difflib
            near = difflib.get_close_matches(name, self.queries, n=3)
            hint = f"; did you mean {', '.join(near)}?" if near else f"; known: {', '.join(self.queries)}"
            raise NotFound(f"no stored query named {name!r}{hint}")
        return self.queries[name]

    def etag(self, name: str, fmt: str, pairs: list[tuple[str, str]]) -> str:
        key = json.dumps([self.build_id, name, fmt, sorted(pairs)], ensure_ascii=False).encode("utf-8")
        return '"' + hashlib.sha256(key).hexdigest()[:32] + '"'

    def answer(self, name: str, fmt: str, pairs: list[tuple[str, str]]) -> bytes:
        """One stored query's answer in `fmt` (a key of MEDIA); QueryError for what cannot be bound,
        timeouts.QueryTimeout past the deadline."""
        from fkgraph.sparql import timeouts

        self.query(name)
        return timeouts.call(self._answer, name, fmt, pairs, timeout=self.timeout, what=f"query {name}")

    def _answer(self, name: str, fmt: str, pairs: list[tuple[str, str]]) -> bytes:
        q = self.query(name)
        values = single_values(pairs)
        if fmt == "srj":
            result = self.store.query(bound_text(q, bindings(q, values, self.resolve)))
            if not isinstance(result, (ox.QuerySolutions, ox.QueryBoolean)):
                raise QueryError(f"query {name} gives a graph; run it on /query")
            return sorted_srj(q, result.serialize(format=ox.QueryResultsFormat.JSON))
        rows = run(q, self.store, values, self.resolve)
        if isinstance(rows, Graph):
            raise QueryError(f"query {name} gives a graph; run it on /query")
        return render(rows, fmt).encode("utf-8")


def sorted_srj(query: Query, srj: bytes) -> bytes:
    """SPARQL results JSON with each `;`-list cell's items in the order the other formats give
    (`results.sorted_items`), so .srj, .csv and .json hold the same values."""
    if not query.lists:
        return srj
    doc = json.loads(srj)
    for row in doc.get("results", {}).get("bindings", []):
        for column in query.lists:
            cell = row.get(column)
            if cell and cell.get("type") == "literal":
                cell["value"] = sorted_items(cell["value"])
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def build_hash(store: ox.Store) -> str:
    """The build's identity: a hash of its sorted N-Triples."""
    lines = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()).splitlines()
    lines.sort()
    return hashlib.sha256(b"\n".join(lines)).hexdigest()


def split_format(name: str, accept: str = "") -> tuple[str, str | None]:
    """`trials.csv` → ("trials", "csv"); without an extension the format `Accept` prefers (by q),
    JSON for none or */*; None when Accept names only what the API does not give."""
    stem, dot, ext = name.rpartition(".")
    if dot and ext in MEDIA:
        return stem, ext
    offered = []
    for i, part in enumerate(accept.split(",")):
        media, *opts = [x.strip() for x in part.split(";")]
        q = next((float(o[2:]) for o in opts if o.startswith("q=") and _number(o[2:])), 1.0)
        if media:
            offered.append((-q, i, media.lower()))
    for _, _, media in sorted(offered):
        if media in _ACCEPT:
            return name, _ACCEPT[media]
        if media in ("*/*", "application/*"):
            return name, "json"
    return name, None if offered else "json"


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# ---- OpenAPI ----------------------------------------------------------------------------------

def _schema(p) -> dict:
    schema: dict = {"type": "integer"} if p.kind in ("integer", "xsd_integer") else \
        {"type": "string", "format": "date"} if p.kind == "xsd_date" else \
        {"type": "boolean"} if p.kind == "xsd_boolean" else {"type": "string"}
    if p.enum:
        schema["enum"] = list(p.enum)
    if p.default is not None:
        schema["default"] = int(p.default) if schema["type"] == "integer" and p.default.lstrip("-").isdigit() else p.default
    return schema


def openapi(queries: dict[str, Query], title: str = "fkgraph stored queries", version: str = "0",
            timeout: float | None = None) -> dict:
    """An OpenAPI 3.1 document: one GET operation per stored query, from its decorators; with
    `timeout`, the server's limit for one query, named in the 503 answer's description."""
    cell = {"type": ["string", "number", "integer", "boolean", "null"]}
    line = {"text/plain": {"schema": {"type": "string"}}}
    error = {"description": "one line saying what is wrong and what would be valid", "content": line}
    limit = f"{timeout:g} s" if timeout else "its time limit"
    busy = {"description": f"the query ran longer than this server allows for one query ({limit}, "
                           "`fkgraph serve --timeout`) and was stopped; one line naming the query and the limit",
            "content": line}
    paths = {}
    for q in queries.values():
        row = {"type": "object", "properties": {c: cell for c in q.columns}}
        table = {"type": "string", "description": "a header line of the columns " + ", ".join(q.columns)}
        params = [{"name": p.name, "in": "query", "required": p.required and p.default is None,
                   "description": (p.description + "; " if p.description else "") + kind_text(p),
                   "schema": _schema(p)} for p in q.params]
        paths[f"/api/{q.name}"] = {"get": {
            "operationId": q.name.replace("-", "_"), "summary": q.summary, "description": q.description,
            "tags": [str(t) for t in q.tags], "parameters": params,
            "responses": {
                "200": {"description": "the answer; the format by extension (.csv, .tsv, .json, .jsonl, .srj) or Accept",
                        "headers": {"ETag": {"schema": {"type": "string"}, "description": "changes with the build"}},
                        "content": {"application/json": {"schema": {"type": "array", "items": row}},
                                    "text/csv": {"schema": table}, "text/tab-separated-values": {"schema": table},
                                    "application/jsonl": {"schema": {"type": "string", "description": "one JSON object a line"}},
                                    "application/sparql-results+json": {"schema": {"type": "object"}}}},
                "304": {"description": "not modified (If-None-Match)"},
                "400": error, "404": error, "503": busy}}}
    return {"openapi": "3.1.0",
            "info": {"title": title, "version": version,
                     "description": "The stored SPARQL queries of fkgraph (queries/*.rq) as GET operations. Add "
                                    ".csv, .tsv, .json, .jsonl or .srj to a path, or send Accept. SPARQL 1.1 at /query."},
            "paths": paths}


# ---- what the front lets through ---------------------------------------------------------------

MAX_QUERY_BYTES = 1_000_000


def federated(text: str) -> bool:
    """True if SPARQL query or update `text` calls another service (`SERVICE`), however written:
    escaped (`\\u0053ERVICE`), in any case, nested anywhere. Text that never spells the keyword
    costs one search; otherwise rdflib's SPARQL parser decides, and for text it cannot parse the
    keyword outside comments, strings and IRIs is enough to refuse."""
    import re

    plain = _unescape(text)
    if not re.search(r"(?i)service", plain):
        return False
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

    for parse in (parseQuery, parseUpdate):
        try:
            return _has_service(parse(text))
        except Exception:  # not this kind of request, or not SPARQL rdflib reads
            continue
    from fkgraph.sparql.binding import mask

    return bool(re.search(r"(?i)\bservice\b", mask(plain)))


def _unescape(text: str) -> str:
    """SPARQL's codepoint escapes (\\uXXXX, \\UXXXXXXXX), applied before the grammar, as the spec says."""
    import re

    def char(m):
        try:
            return chr(int(m.group(1) or m.group(2), 16))
        except (ValueError, OverflowError):
            return m.group(0)
    return re.sub(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})", char, text)


def _has_service(tree) -> bool:
    from rdflib.plugins.sparql.parserutils import CompValue

    stack = [tree]
    while stack:
        x = stack.pop()
        if isinstance(x, CompValue):
            if x.name == "ServiceGraphPattern":
                return True
            stack.extend(x.values())
        elif isinstance(x, (list, tuple)) or hasattr(x, "asList"):
            stack.extend(x)
    return False


def request_texts(query: list[str], content_type: str, body: bytes) -> list[str]:
    """Every SPARQL text a request to /query or /update carries: `query=`/`update=` in the URL or a
    form body, or the body itself (application/sparql-query, sparql-update, or anything else)."""
    from urllib.parse import parse_qs

    texts = list(query)
    ctype = content_type.split(";")[0].strip().lower()
    if ctype == "application/x-www-form-urlencoded":
        form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        texts += form.get("query", []) + form.get("update", [])
    elif body:
        texts.append(body.decode("utf-8", "replace"))
    return texts


def local_hosts(host: str) -> frozenset[str] | None:
    """The Host names a loopback server answers to (its address, localhost, 127.0.0.1, ::1); None
    (any) for a public one, which is reached by names fkgraph cannot know."""
    from fkgraph.sparql.serve import is_loopback

    if not is_loopback(host):
        return None
    return frozenset({host.strip("[]").lower(), "localhost", "127.0.0.1", "::1"})


def host_name(header: str) -> str:
    """`Host: name:port` → `name` (lower case, brackets of an IPv6 address and a final dot removed)."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0].rstrip(".") if header.count(":") == 1 else header.rstrip(".")


class HostGuard:
    """ASGI middleware: 421 for a request whose Host is not one of `hosts` (DNS rebinding)."""

    def __init__(self, app, hosts: frozenset[str] | None = None):
        self.app, self.hosts = app, hosts

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket") and self.hosts is not None:
            header = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
            if host_name(header) not in self.hosts:
                from starlette.responses import PlainTextResponse

                shown = " ".join(header.split())[:80]
                response = PlainTextResponse(f"fkgraph: this server answers to {', '.join(sorted(self.hosts))}, "
                                             f"not to Host {shown!r}\n", 421)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


# ---- HTTP -------------------------------------------------------------------------------------

def _line(e: Exception) -> str:
    from fkgraph.errors import redact

    return "fkgraph: " + redact(" ".join(str(e).split())) + "\n"


def _api(service: Service):
    """The handler of GET /api/{name}: a stored query's answer, or one line and its status."""
    from starlette.responses import PlainTextResponse, Response

    from fkgraph.sparql.timeouts import QueryTimeout

    def api(request):
        name, fmt = split_format(request.path_params["name"], request.headers.get("accept", ""))
        if fmt is None:
            return PlainTextResponse(f"fkgraph: no answer in the formats Accept asks for; the API gives "
                                     f"{', '.join(MEDIA.values())}\n", 406)
        pairs = list(request.query_params.multi_items())
        try:
            service.query(name)
            tag = service.etag(name, fmt, pairs)
            if tag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
                return Response(status_code=304, headers={"ETag": tag})
            body = service.answer(name, fmt, pairs)
        except NotFound as e:
            return PlainTextResponse(_line(e), 404)
        except QueryError as e:
            return PlainTextResponse(_line(e), 400)
        except QueryTimeout as e:
            return PlainTextResponse(timed_out(e), 503)
        return Response(body, media_type=MEDIA[fmt], headers={"ETag": tag, "Cache-Control": "no-cache"})
    return api


def timed_out(e) -> str:
    """The one line of a 503: which query ran past which limit, and what the caller can do."""
    return (f"fkgraph: {e.what} did not finish within {e.seconds:g} s, this server's limit for one query "
            f"(fkgraph serve --timeout), and was stopped; narrow it with parameters, or ask the server's "
            f"operator for a longer limit\n")


def _forward(client, upstream: str | None, writable: bool):
    """The handler of /query, /update and /store: refuse writes (unless `writable`) and
    federated queries, then stream the oxigraph child's answer."""
    import httpx
    from starlette.background import BackgroundTask
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import PlainTextResponse, StreamingResponse

    async def forward(request):
        path = request.url.path
        write = path.startswith("/update") or (path.startswith("/store") and request.method not in ("GET", "HEAD"))
        if write and not writable:
            return PlainTextResponse("fkgraph: this endpoint is read-only: SPARQL Update and Graph Store "
                                     "writes are refused\n", 403)
        if client is None:
            return PlainTextResponse("fkgraph: no SPARQL endpoint behind this server\n", 404)
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_QUERY_BYTES:
                return PlainTextResponse(f"fkgraph: the request is larger than {MAX_QUERY_BYTES} bytes\n", 413)
        if not path.startswith("/store"):
            params = request.query_params
            texts = request_texts(params.getlist("query") + params.getlist("update"),
                                  request.headers.get("content-type", ""), body)
            for text in texts:
                if await run_in_threadpool(federated, text):
                    return PlainTextResponse("fkgraph: federated queries (SERVICE) are refused here: this "
                                             "server does not fetch other services for its callers\n", 403)
        url = upstream + path + ("?" + request.url.query if request.url.query else "")
        headers = {k: v for k, v in request.headers.items() if k.lower() in ("accept", "content-type")}
        try:
            sent = await client.send(client.build_request(request.method, url, headers=headers,
                                                          content=body), stream=True)
        except httpx.HTTPError as e:
            return PlainTextResponse(f"fkgraph: the SPARQL server did not answer ({type(e).__name__})\n", 502)
        keep = {k: v for k, v in sent.headers.items() if k.lower() in ("content-type", "allow")}
        return StreamingResponse(sent.aiter_bytes(), status_code=sent.status_code, headers=keep,
                                 background=BackgroundTask(sent.aclose))
    return forward


async def _failed(request, exc):
    """Any other exception: 500 with its type's name, never a traceback."""
    from starlette.responses import PlainTextResponse

    return PlainTextResponse(_line(f"internal error: {type(exc).__name__}"), 500)


def _routes(service: Service, forward, site: str | Path | None, version: str) -> list:
    """The routes table: /api/openapi.json, /api/{name}, the forwarded SPARQL paths, the site at /."""
    from starlette.responses import JSONResponse
    from starlette.routing import Mount, Route

    def description(request):
        return JSONResponse(openapi(service.queries, version=version, timeout=service.timeout))

    methods = ["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"]
    routes = [Route("/api/openapi.json", description), Route("/api/{name}", _api(service)),
              Route("/query", forward, methods=methods), Route("/update", forward, methods=methods),
              Route("/store", forward, methods=methods)]
    if site is not None:
        from starlette.staticfiles import StaticFiles
        routes.append(Mount("/", StaticFiles(directory=str(site), html=True)))
    return routes


def app(service: Service, upstream: str | None = None, site: str | Path | None = None,
        writable: bool = False, version: str = "0", hosts: frozenset[str] | None = None):
    """The Starlette application: /api, /query (forwarded to `upstream`), / (the `site` folder);
    with `hosts` (see `local_hosts`), only requests with one of those Host names."""
    import httpx
    from starlette.applications import Starlette
    from starlette.middleware import Middleware

    client = httpx.AsyncClient(timeout=None) if upstream else None

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        yield
        if client is not None:
            await client.aclose()

    return Starlette(routes=_routes(service, _forward(client, upstream, writable), site, version),
                     exception_handlers={Exception: _failed}, lifespan=lifespan,
                     middleware=[Middleware(HostGuard, hosts=hosts)])
