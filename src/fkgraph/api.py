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
from fkgraph.rdf import graph
from fkgraph.model import iris
from fkgraph.sparql import queries as _queries
from fkgraph import config
from fkgraph.rdf.graph import Built

if TYPE_CHECKING:
    from fkgraph.model import citations
    from fkgraph.model import records
    from fkgraph.shacl.validate import Report


class BuildError(Exception):
    """The data does not conform to the shapes; carries the report. Nothing was written."""

    def __init__(self, report: Report):
        self.report = report
        super().__init__(report.text())


def load_records(home: str | os.PathLike | None = None) -> records.Records:
    """Read and check the YAML records (raises records.RecordError with file:line)."""
    from fkgraph.model import records

    return records.load(config.data_dir(home))


def build(home: str | os.PathLike | None = None, base: str = iris.DEFAULT_BASE, cache: bool = True,
          progress: graph.Progress | None = None) -> Built:
    """Records → graph in an in-memory store. Does not validate (see `validate`).

    A successful build is cached as N-Triples under a key made of every data file, the code
    that turns records into triples, and the base IRI; the next call with the same inputs loads
    that file instead of re-reading the YAML, which keeps `fkgraph query` fast.
    """
    data = config.data_dir(home)
    path = _cache_path(data, base) if cache else None
    if path is not None and path.is_file():
        try:
            return Built(graph.load_sorted(path, progress), lambda: load_records(home), base)
        except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
            pass  # a damaged cache entry is rebuilt below
    built = graph.build(load_records(home), base=base, progress=progress)
    if path is not None:
        from fkgraph.rdf.serialize import atomic_write

        try:
            with atomic_write(path) as f:
                f.write(built.store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()))
        except OSError:
            pass  # a read-only cache folder only costs speed
    return built


def _cache_path(data: Path, base: str) -> Path | None:
    import hashlib

    root = Path(os.environ.get("FKGRAPH_CACHE") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "fkgraph")
    h = hashlib.sha256(base.encode())
    code = Path(graph.__file__).parents[1]
    for f in sorted((code / "model").glob("*.py")) + sorted((code / "rdf").glob("*.py")) + sorted(data.rglob("*.yaml")):
        h.update(str(f.relative_to(f.parent.parent)).encode() + b"\0")
        try:
            h.update(f.read_bytes())
        except OSError:
            return None
    return root / f"build-{h.hexdigest()[:32]}.nt"


def validate(target: Built | ox.Store | Iterable[str | os.PathLike] | None = None,
             home: str | os.PathLike | None = None, engine: str = "pyshacl",
             progress: graph.Progress | None = None) -> Report:
    """SHACL-validate a built graph, a store, or RDF files (default: build from data/).

    Given a Built (or nothing), each result also names the YAML record (file:line) it came from.
    `engine`: "pyshacl" (the reference) or "fast" (see fkgraph.shacl.validate.ENGINES).
    """
    from fkgraph.shacl.validate import validate as run

    if target is None:
        target = build(home, progress=progress)
    if not isinstance(target, (Built, ox.Store)):
        target = graph.from_files(target)
    return run(target, config.shapes_file(home), config.ontology_file(home), engine=engine, progress=progress)


def docs(output: str | os.PathLike = "dist/ontology", home: str | os.PathLike | None = None):
    """Write the HTML documentation of the ontology and shapes; returns what was written and any warnings."""
    from fkgraph.publish.ontodocs import build_docs

    return build_docs(output, config.ontology_file(home), config.shapes_file(home))


def build_to(output: str | os.PathLike = "dist", home: str | os.PathLike | None = None,
             base: str = iris.DEFAULT_BASE, progress: graph.Progress | None = None) -> tuple[Built, Report, Path]:
    """Build, validate and, only if the data conforms, write `output/fkgraph.ttl` atomically.

    One build at a time per folder: a second build into the same `output` while this one runs
    raises fkgraph.fsio.OutputBusy at once (see fkgraph.fsio)."""
    from fkgraph.rdf.serialize import export as write
    from fkgraph.fsio import output_lock

    with output_lock(output):
        built = build(home, base, progress=progress)
        report = validate(built, home=home, progress=progress)
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

        parse = parse or citations.canonicalizer(graph.statute_index(built.records))
        return parse(text)
    return canonical


def query(name: str, params: dict[str, str] | None = None, built: Built | None = None,
          home: str | os.PathLike | None = None, timeout: float | None = None) -> _queries.Rows:
    """Run a stored query (by name, or a .rq path) on the embedded store.

    With `timeout` (seconds) the query runs in a forked worker and is stopped at the deadline
    (raises fkgraph.sparql.timeouts.QueryTimeout); see fkgraph.sparql.timeouts."""
    from fkgraph.sparql import timeouts

    built = built or build(home)
    q = _queries.find(name, config.queries_dir(home))
    resolve = _queries.resolver(built.store, citation_canonicalizer(built))
    return timeouts.call(_queries.run, q, built.store, params or {}, resolve, timeout=timeout,
                         what=f"query {q.name}")


def export(built: Built, path: str | os.PathLike, fmt: str | None = None) -> Path:
    """Write the graph atomically (format from the extension unless given)."""
    from fkgraph.rdf.serialize import export as write

    return write(built.store, path, fmt)


def cite(text: str, home: str | os.PathLike | None = None, base: str = iris.DEFAULT_BASE) -> list[dict]:
    """Parse citation text into rows: statute, provision, iri, note."""
    from fkgraph.model import citations

    index = _statute_index(home)
    return [{"statute": p.statute, "provision": p.provision_text(), "iri": iris.provision(p, base), "note": p.note}
            for p in citations.parse(text, index)]


def _statute_index(home) -> citations.StatuteIndex:
    """Statutes only: `cite` must not fail because some unrelated record is being edited."""
    from fkgraph.model import citations
    from fkgraph.model import records

    data = records.load_yaml(config.data_dir(home) / "statutes.yaml")
    return citations.StatuteIndex.from_records(list(data or []))


def publishable(home: str | os.PathLike | None = None, base: str = iris.DEFAULT_BASE, validate: bool = True) -> Built:
    """Build and, unless told otherwise, validate: nothing non-conforming is published."""
    built = build(home, base)
    if validate:
        report = globals()["validate"](built, home=home)
        if not report.conforms:
            raise BuildError(report)
    return built


def publish(output: str | os.PathLike = "dist", home: str | os.PathLike | None = None, base: str = iris.DEFAULT_BASE,
            base_url: str | None = None, endpoint: str | None = None, gzip: bool = False, validate: bool = True):
    """Dumps + DCAT-AP 3 + VoID into `output` (see fkgraph.rdf.serialize.publish); the release metadata
    comes from `data/release.yaml` of `home`."""
    from fkgraph.rdf.serialize import load_release, publish as write

    release = load_release(config.data_dir(home))  # before the build: a bad file fails at once
    built = publishable(home, base, validate)
    return write(built.store, output, base_url, built.base, endpoint, gzip, release=release)


def site(output: str | os.PathLike, home: str | os.PathLike | None = None, base: str = iris.DEFAULT_BASE,
         base_url: str | None = None, endpoint: str | None = None, gzip: bool = False, validate: bool = True):
    """The static linked-data site (see fkgraph.publish.website.build); the release metadata comes from
    `data/release.yaml` of `home`."""
    from fkgraph.rdf.serialize import load_release
    from fkgraph.publish.website import build as write

    release = load_release(config.data_dir(home))
    built = publishable(home, base, validate)
    return write(built, output, queries_dir=config.queries_dir(home),
                       ontology_file=config.ontology_file(home), base_url=base_url, endpoint=endpoint, gzip=gzip,
                       release=release)


_STATS = """
SELECT ?class (COUNT(DISTINCT ?s) AS ?resources) WHERE { ?s a ?c . BIND(STR(?c) AS ?class) }
GROUP BY ?class ORDER BY DESC(?resources) ?class"""


def stats(built: Built) -> _queries.Rows:
    """Triples, then resources per class (class IRIs shortened with the project's prefixes)."""
    rows = [["triples", len(built.store)]]
    for sol in built.store.query(_STATS):
        iri = sol["class"].value
        short = next((f"{p}:{iri[len(ns):]}" for p, ns in graph.PREFIXES.items() if iri.startswith(ns)), iri)
        rows.append([short, int(sol["resources"].value)])
    return _queries.Rows(["what", "count"], rows)
