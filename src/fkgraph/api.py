"""The Python API behind every command: one function per job, composed from the modules.

`fkgraph.cli` is a thin layer over these functions; a notebook user calls them directly.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import pyoxigraph as ox

# Only what `fkgraph query` needs is imported here; the YAML reader, the citation grammar, the
# exporters and the validators are imported by the functions that use them, so a query from the
# shell does not pay for them (benchmarks/run.py measures that start-up).
from fkgraph.rdf import mapping
from fkgraph.model import iris
from fkgraph.sparql import catalogue as _catalogue, resolve as _resolve, results as _results
from fkgraph import config
from fkgraph.errors import DataError
from fkgraph.rdf.store import Built, Progress, from_files
from fkgraph.rdf.terms import PREFIXES

if TYPE_CHECKING:
    from fkgraph.model import citations
    from fkgraph.model import records
    from fkgraph.shacl.report import Report


class BuildError(DataError):
    """The data does not conform to the shapes; carries the report. Nothing was written."""

    def __init__(self, report: Report):
        self.report = report
        super().__init__("the data does not conform to ontology/shapes.ttl; nothing was written")


Home = "config.Settings | str | os.PathLike | None"


def settings(home: Home = None, base: str | None = None) -> config.Settings:
    """The settings a call runs with: `home` may already be Settings (as the CLI passes them)."""
    if isinstance(home, config.Settings):
        return home.but(base=config.check_base(base) if base is not None else None)
    return config.settings(home=home, base=base)


def load_records(home: Home = None) -> records.Records:
    """Read and check the YAML records (raises records.RecordError with file:line)."""
    from fkgraph.model import records

    return records.load(settings(home).data_dir)


def build(home: Home = None, base: str | None = None, cache: bool = True,
          progress: Progress | None = None) -> Built:
    """Records → graph in an in-memory store. Does not validate (see `validate`).

    A successful build is cached as N-Triples under a key made of every data file, the code
    that turns records into triples, and the base IRI; the next call with the same inputs loads
    that file instead of re-reading the YAML, which keeps `fkgraph query` fast. An entry that
    does not match its digest and triple count is rebuilt (see fkgraph.rdf.cache).
    """
    from fkgraph.rdf import cache as _cache

    s = settings(home, base)
    path = _cache_path(s.data_dir, s.base, s.cache_dir) if cache and s.cache_dir else None
    if path is not None:
        store = _cache.load(path, progress)  # verified against its digest and count; None if damaged
        if store is not None:
            return Built(store, lambda: load_records(s), s.base)
    built = mapping.build(load_records(s), base=s.base, progress=progress)
    if path is not None:
        _cache.save(path, built.store)
    return built


def _cache_path(data: Path, base: str, root: Path) -> Path | None:
    """The cache entry for these inputs (see fkgraph.rdf.cache); None when a data file is unreadable."""
    from fkgraph.rdf import cache as _cache

    key = _cache.key(data, base, Path(mapping.__file__).parents[1])
    return _cache.entry(root, key) if key else None


def validate(target: Built | ox.Store | Iterable[str | os.PathLike] | None = None,
             home: Home = None, engine: str = "pyshacl",
             progress: Progress | None = None, allow_empty: bool = False) -> Report:
    """SHACL-validate a built graph, a store, or RDF files (default: build from data/).

    Each result names the file and line it came from: the YAML record for a graph built here,
    the RDF file for files. Without a target, records that do not load give a failed report of
    every record error (a report is always there to write). `engine`: "pyshacl" (the reference)
    or "fast" (fkgraph.scale.engine, the optional extra `fast`).
    """
    from fkgraph.model.records import RecordError
    from fkgraph.shacl.engine import validate as run
    from fkgraph.shacl.report import Report

    runner = engine
    if engine == "fast":  # shacl/ never imports the optional scale/: the engine is picked here
        from fkgraph.scale.engine import run_shacl as runner

    s = settings(home)
    if target is None:
        try:
            target = build(s, progress=progress)
        except RecordError as e:
            return Report.from_record_errors(getattr(e, "errors", [e]), s.home, s.describe())
    elif not isinstance(target, (Built, ox.Store)):
        origins: dict = {}
        target = Built(from_files(target, origins), records=lambda: None, base=s.base, origins=origins)
    report = run(target, s.shapes_file, s.ontology_file, engine=runner, progress=progress, name=engine,
                 allow_empty=allow_empty)
    report.header = s.describe()
    return report


def check(home: Home = None, engine: str = "pyshacl", progress: Progress | None = None) -> Report:
    """What a maintainer runs before committing: the records against their JSON Schema and their
    cross-checks, then the graph against the shapes; every problem at its file:line."""
    from fkgraph.model import records, schema
    from fkgraph.shacl.report import Report

    s = settings(home)
    problems = list(schema.check(s.data_dir))
    try:
        records.load(s.data_dir)
    except records.RecordError as e:
        seen = {(p.file, p.line) for p in problems}
        problems += [x for x in getattr(e, "errors", [e]) if (x.file, x.line) not in seen]
    if problems:
        return Report.from_record_errors(problems[:records.LIMIT], s.home, s.describe())
    return validate(None, s, engine=engine, progress=progress)


def docs(output: str | os.PathLike = "dist/ontology", home: Home = None):
    """Write the HTML documentation of the ontology and shapes; returns what was written and any warnings."""
    from fkgraph.publishing.ontodocs import build_docs

    s = settings(home)
    return build_docs(output, s.ontology_file, s.shapes_file)


def build_to(output: str | os.PathLike = "dist", home: Home = None,
             base: str | None = None, progress: Progress | None = None) -> tuple[Built, Report, Path]:
    """Build, validate and, only if the data conforms, write `output/fkgraph.ttl` atomically.

    One build at a time per folder: a second build into the same `output` while this one runs
    raises fkgraph.fsio.OutputBusy at once (see fkgraph.fsio)."""
    from fkgraph.rdf.serialize import export as write
    from fkgraph.fsio import output_lock

    s = settings(home, base)
    with output_lock(output):
        built = build(s, progress=progress)
        report = validate(built, home=s, progress=progress)
        if not report.conforms:
            raise BuildError(report)
        if progress:
            progress("writing", 0, 1)
        path = write(built.store, Path(output) / "fkgraph.ttl", "turtle")
        if progress:
            progress("writing", 1, 1)
    return built, report, path


def citation_canonicalizer(built: Built):
    """Text → canonical citation of its first provision, or None (for query parameters)."""
    parse = None

    def canonical(text: str) -> str | None:
        nonlocal parse  # the statute index and the grammar are loaded only when a parameter needs them
        from fkgraph.model import citations

        parse = parse or citations.canonicalizer(mapping.statute_index(built.records))
        return parse(text)
    return canonical


def query(name: str | _catalogue.Query, params: dict[str, str] | None = None, built: Built | None = None,
          home: Home = None, timeout: float | None = None) -> _results.Rows | _results.Graph:
    """Run a stored query (by name, a .rq path, or a Query such as `catalogue.from_text(text)`) on
    the embedded store: Rows for SELECT and ASK, a Graph of triples for CONSTRUCT and DESCRIBE.

    With `timeout` (seconds) the query runs in a forked worker and is stopped at the deadline
    (raises fkgraph.sparql.timeouts.QueryTimeout); see fkgraph.sparql.timeouts."""
    from fkgraph.sparql import timeouts

    s = settings(home)
    built = built or build(s)
    q = name if isinstance(name, _catalogue.Query) else _catalogue.find(name, s.queries_dir)
    resolve = _resolve.resolver(built.store, citation_canonicalizer(built))
    return timeouts.call(_results.run, q, built.store, params or {}, resolve, timeout=timeout,
                         what=f"query {q.name}")


def export(built: Built, path: str | os.PathLike, fmt: str | None = None) -> Path:
    """Write the graph atomically (format from the extension unless given)."""
    from fkgraph.rdf.serialize import export as write

    return write(built.store, path, fmt)


def cite(text: str, home: Home = None, base: str | None = None) -> list[dict]:
    """Parse citation text into rows: statute, provision, iri, note."""
    from fkgraph.model import citations

    s = settings(home, base)
    index = _statute_index(s)
    return [{"statute": p.statute, "provision": p.provision_text(), "iri": iris.provision(p, s.base), "note": p.note}
            for p in citations.parse(text, index)]


def _statute_index(home) -> citations.StatuteIndex:
    """The statute index from statutes.yaml alone, once that file matches its schema."""
    from fkgraph.model import records, schema

    data_dir = settings(home).data_dir
    problems = schema.check_file(data_dir, "statutes.yaml")
    if problems:
        raise records.RecordErrors(problems)
    return records.statute_index(data_dir)


def publishable(home: Home = None, base: str | None = None, validate: bool = True) -> Built:
    """Build and, unless told otherwise, validate: nothing non-conforming is published."""
    s = settings(home, base)
    built = build(s)
    if validate:
        report = globals()["validate"](built, home=s)
        if not report.conforms:
            raise BuildError(report)
    return built


def publish(output: str | os.PathLike = "dist", home: Home = None, base: str | None = None,
            base_url: str | None = None, endpoint: str | None = None, gzip: bool = False, validate: bool = True):
    """Dumps + DCAT-AP 3 + VoID into `output` (see fkgraph.publishing.catalog.publish); the release metadata
    comes from `data/release.yaml` of `home`."""
    from fkgraph.publishing.catalog import publish as write
    from fkgraph.publishing.release import load_release

    s = settings(home, base)
    release = load_release(s.data_dir)  # before the build: a bad file fails at once
    built = publishable(s, validate=validate)
    return write(built.store, output, base_url, built.base, endpoint, gzip, release=release)


def site(output: str | os.PathLike, home: Home = None, base: str | None = None,
         base_url: str | None = None, endpoint: str | None = None, gzip: bool = False, validate: bool = True):
    """The static linked-data site (see fkgraph.publishing.website.build); the release metadata comes from
    `data/release.yaml` of `home`."""
    from fkgraph.publishing.release import load_release
    from fkgraph.publishing.website import build as write

    s = settings(home, base)
    release = load_release(s.data_dir)
    built = publishable(s, validate=validate)
    return write(built, output, queries_dir=s.queries_dir, ontology_file=s.ontology_file, base_url=base_url,
                 endpoint=endpoint, gzip=gzip, release=release)


def serve(host: str = "127.0.0.1", port: int = 7878, home: Home = None, public: bool = False,
          writable: bool = False, location: str | os.PathLike | None = None, timeout: float | None = None,
          validate: bool = True, on_ready=None) -> int:
    """Serve the graph on one port until Ctrl-C: SPARQL 1.1 at /query (the oxigraph server), the
    stored queries as a web API at /api/ (fkgraph.sparql.webapi) and the static site at /.
    `timeout` (seconds) bounds each query on /query and /api (None: no limit). Needs the extra
    `serve`. Returns 0 on a clean stop."""
    import shutil

    from fkgraph.sparql import children, serve as server, webapi

    server.check_bind(host, public)
    try:
        import httpx, starlette, uvicorn  # noqa: F401 (the extra `serve`)
    except ImportError as e:
        raise server.EndpointUsageError(f"{host}:{port}", f"the web front needs {e.name}",
                                        "pip install 'fkgraph[serve]'") from None
    s = settings(home)
    built = publishable(s, validate=validate)
    service = webapi.Service(built.store, s.queries_dir, _resolve.resolver(built.store, citation_canonicalizer(built)),
                             timeout=timeout)
    tmp = children.temporary_folder("fkgraph-site")
    try:
        from fkgraph.publishing.release import load_release
        from fkgraph.publishing.website import build as write_site

        release = load_release(s.data_dir)
        report = write_site(built, Path(tmp) / "site", queries_dir=s.queries_dir, ontology_file=s.ontology_file,
                            release=release)
        version = str(release.version)
        return server.serve(built.store, host, port, public=public, writable=writable, location=location,
                            timeout=timeout, on_ready=on_ready,
                            app=lambda upstream: webapi.app(service, upstream, report.directory, writable, version,
                                                               hosts=None if public else webapi.local_hosts(host)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def stats(built: Built) -> _results.Rows:
    """Triples, then resources per class (class IRIs shortened with the project's prefixes)."""
    rows = [["triples", len(built.store)]]
    from fkgraph.sparql.catalogue import internal

    for sol in built.store.query(internal("stats")):
        iri = sol["class"].value
        short = next((f"{p}:{iri[len(ns):]}" for p, ns in PREFIXES.items() if iri.startswith(ns)), iri)
        rows.append([short, int(sol["resources"].value)])
    return _results.Rows(["what", "count"], rows)
