"""Write the graph as files other tools read: Turtle, N-Triples, JSON-LD, RDF/XML, N-Quads, TriG.

Every file is written by fkgraph.fsio.atomic_write (a temporary sibling renamed into place), so a
reader never sees half a file and a failed run leaves the previous output as it was. Output is
deterministic: the same data gives the same bytes (sorted subjects, predicates and objects;
gzip with mtime 0 and no file name).

Turtle and N-Triples of a store are written by pyoxigraph from the store's N-Triples lines sorted
as bytes, so the bytes do not depend on the order the store keeps its triples in.

The dumps with their DCAT-AP and VoID descriptions are fkgraph.publishing.catalog's.
"""
from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pyoxigraph as ox

from fkgraph.errors import UsageError
from fkgraph.fsio import atomic_write, gzip_bytes, write_bytes
from fkgraph.rdf.terms import PREFIXES

#: format name → (file extension, media type, EU file-type authority code)
FORMATS = {
    "turtle": ("ttl", "text/turtle", "RDF_TURTLE"),
    "ntriples": ("nt", "application/n-triples", "RDF_N_TRIPLES"),
    "jsonld": ("jsonld", "application/ld+json", "JSON_LD"),
}
#: every format `export` and `serialize` write: the dump formats (FORMATS, which `publish` writes
#: each of), and RDF/XML, N-Quads and TriG for tools that read those (written by pyoxigraph)
RDF_FORMATS = {
    **FORMATS,
    "rdfxml": ("rdf", "application/rdf+xml", "RDF_XML"),
    "nquads": ("nq", "application/n-quads", "RDF_N_QUADS"),
    "trig": ("trig", "application/trig", "RDF_TRIG"),
}
_OXIGRAPH = {"rdfxml": ox.RdfFormat.RDF_XML, "nquads": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG}
DUMP_NAME = "fkgraph"
CONTEXT_NAME = "context.jsonld"


class ExportError(UsageError):
    """An export asked for what cannot be written: unknown format, unusable URL."""


# ---- terms -------------------------------------------------------------------------------------

RDF_TYPE = PREFIXES["rdf"] + "type"


def _triples(source) -> list[ox.Triple]:
    if isinstance(source, ox.Store):
        return [q.triple for q in source.quads_for_pattern(None, None, None, ox.DefaultGraph())]
    return [t.triple if isinstance(t, ox.Quad) else t for t in source]


def _relabelled(triples: list[ox.Triple]) -> list[ox.Triple]:
    """The triples with blank nodes labelled by RDFC-1.0 canonicalisation (pyoxigraph), so that
    the same graph is written with the same labels whatever labels it was read with."""
    if not any(isinstance(n, ox.BlankNode) for t in triples for n in (t.subject, t.object)):
        return triples
    dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return [q.triple for q in dataset]


# ---- Turtle, N-Triples, JSON-LD ----------------------------------------------------------------

def turtle(source, prefixes: dict[str, str] | None = None) -> bytes:
    """Turtle with prefixes: one block per subject, subjects, predicates and objects in N-Triples
    byte order (the order of `ntriples`), so a diff of two releases shows what changed.

    Written by pyoxigraph's serialiser in both cases. A store is sorted as its N-Triples lines
    (`_sorted_ntriples`), whatever order it keeps its triples in; any other source (a list of
    triples, such as a page's description) is sorted as triples, its blank nodes relabelled by
    what they say."""
    prefixes = dict(sorted((prefixes or PREFIXES).items()))
    if isinstance(source, ox.Store):
        out = _dump_turtle(source, None, prefixes)
    else:
        triples = _canonical(source)
        used = {p: ns for p, ns in prefixes.items() if any(
            isinstance(n, ox.NamedNode) and n.value.startswith(ns) for t in triples for n in (t.subject, t.predicate, t.object))
            or any(isinstance(t.object, ox.Literal) and t.object.datatype.value.startswith(ns) for t in triples)}
        out = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=used)
    return _sorted_prefix_lines(out)


def _dump_turtle(store: ox.Store, output, prefixes: dict[str, str]):
    """pyoxigraph's Turtle of the store's default graph in N-Triples byte order, into `output`
    (a file) or as bytes: its serialiser groups consecutive triples of a subject into one block."""
    # lenient: the lines are pyoxigraph's own, already checked
    triples = ox.parse(_LineReader(_sorted_lines(store)), format=ox.RdfFormat.N_TRIPLES, lenient=True)
    return ox.serialize(triples, output, format=ox.RdfFormat.TURTLE, prefixes=prefixes)


class _LineReader(io.RawIOBase):
    """The sorted lines as a stream the parser reads, each freed once read: no joined copy."""

    def __init__(self, lines: list[bytes]):
        self.lines, self.at, self.rest = lines, 0, b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while len(self.rest) < len(buffer) and self.at < len(self.lines):
            self.rest += b"".join(self.lines[self.at:self.at + 1024])
            self.lines[self.at:self.at + 1024] = [b""] * len(self.lines[self.at:self.at + 1024])
            self.at += 1024
        n = min(len(buffer), len(self.rest))
        buffer[:n], self.rest = self.rest[:n], self.rest[n:]
        return n


def _sorted_ntriples(store: ox.Store) -> bytes:
    """The store's default graph as N-Triples, its lines sorted as bytes."""
    return b"".join(_sorted_lines(store))


def _sorted_lines(store: ox.Store) -> list[bytes]:
    lines = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()).splitlines(keepends=True)
    lines.sort()
    return lines


def _sorted_prefix_lines(data: bytes) -> bytes:
    """The `@prefix` header in name order (pyoxigraph writes it in its own map's order); the
    same bytes otherwise, so that a file's head can be rewritten in place."""
    head, at = [], 0
    while data.startswith(b"@prefix ", at):
        end = data.find(b"\n", at)
        if end < 0:
            break
        head.append(data[at:end + 1])
        at = end + 1
    return b"".join(sorted(head)) + data[at:]


def _canonical(source) -> list[ox.Triple]:
    """Triples in N-Triples byte order, blank nodes relabelled canonically (`_relabelled`)."""
    triples = _relabelled(_triples(source))
    keyed = {f"{t.subject} {t.predicate} {t.object} .".encode("utf-8"): t for t in triples}
    return [keyed[k] for k in sorted(keyed)]


def ntriples(source) -> bytes:
    """Sorted N-Triples: one triple a line, so a diff shows exactly what changed."""
    if isinstance(source, ox.Store):
        return _sorted_ntriples(source)
    lines = [f"{t.subject} {t.predicate} {t.object} ." for t in _canonical(source)]
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""


def jsonld_context(prefixes: dict[str, str] | None = None, source=None) -> dict:
    """The JSON-LD context of fkgraph's documents (`context.jsonld`, a package resource): the
    project's prefixes, and a friendly term for each property with its type coercion, so a
    JavaScript reader writes `trial.network` and `trial.label.da`; `prefixes` adds others (DCAT's,
    VoID's for the catalogue). `source` is accepted for callers that pass the data; the context
    is the same for every document, so one cached copy serves all of them."""
    global _CONTEXT
    if _CONTEXT is None:
        _CONTEXT = json.loads((Path(__file__).with_name(CONTEXT_NAME)).read_text(encoding="utf-8"))
    context = json.loads(json.dumps(_CONTEXT))
    for name, iri in sorted((prefixes or {}).items()):
        context["@context"].setdefault(name, iri)
    return context


_CONTEXT = None


def _no_remote_documents(url, options=None):
    raise ExportError(f"JSON-LD compaction asked for a remote document ({url}); fkgraph's context is inline")


def jsonld(source, prefixes: dict[str, str] | None = None, context: dict | None = None) -> bytes:
    """Compacted JSON-LD: pyoxigraph writes the sorted triples as expanded JSON-LD, PyLD compacts
    it with the inline context, so any JSON-LD processor reads the file offline.

    `prefixes` adds prefixes to the packaged context; `context` replaces it."""
    return jsonld_many([source], prefixes, context)[0]


def jsonld_many(sources: list, prefixes: dict[str, str] | None = None, context: dict | None = None) -> list[bytes]:
    """`jsonld` of each source, compacted in one PyLD call (as named graphs of one document):
    the context is processed once, not once per document."""
    from pyld import jsonld as pyld

    context = (context or jsonld_context(prefixes))["@context"]
    graphs = [{"@id": f"urn:fkgraph:document:{i}", "@graph": _expanded(src)} for i, src in enumerate(sources)]
    doc = pyld.compact(graphs, {"@context": context}, {"documentLoader": _no_remote_documents, "graph": True})
    by_id = {g["id"]: g.get("@graph", []) for g in doc["@graph"]}
    out = []
    for i in range(len(sources)):
        nodes = by_id.get(f"urn:fkgraph:document:{i}", [])
        doc = {"@context": context, "@graph": nodes if isinstance(nodes, list) else [nodes]}
        out.append((json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
    return out


def _expanded(source) -> list[dict]:
    expanded = json.loads(ox.serialize(_canonical(source), format=ox.RdfFormat.JSON_LD) or b"[]")
    for node in expanded:  # pyoxigraph writes rdf:type as a property; JSON-LD readers expect @type
        if RDF_TYPE in node:
            node["@type"] = [o["@id"] for o in node.pop(RDF_TYPE)]
    return expanded


def pyoxigraph_format(source, fmt: str, prefixes: dict[str, str] | None = None) -> bytes:
    """RDF/XML, N-Quads or TriG by pyoxigraph, triples in N-Triples byte order (the default graph)."""
    triples = _canonical(source)
    quads = [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples]
    if fmt == "nquads":
        return ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
    return _sorted_prefix_lines(ox.serialize(quads, format=_OXIGRAPH[fmt], prefixes=dict(sorted((prefixes or PREFIXES).items()))))


def serialize(source, fmt: str = "turtle", prefixes: dict[str, str] | None = None) -> bytes:
    """The graph (a store or triples) as bytes in `fmt`, one of RDF_FORMATS."""
    if fmt == "turtle":
        return turtle(source, prefixes)
    if fmt == "ntriples":
        return ntriples(source)
    if fmt == "jsonld":
        return jsonld(source, prefixes)
    if fmt in _OXIGRAPH:
        return pyoxigraph_format(source, fmt, prefixes)
    raise ExportError(f"unknown export format {fmt!r}; use one of: {', '.join(RDF_FORMATS)}")


#: more file extensions than RDF_FORMATS names, as other tools write them
EXTENSIONS = {"json": "jsonld", "owl": "rdfxml", "xml": "rdfxml", "n3": "turtle"}


def format_for(path: str | Path, default: str | None = "turtle") -> str | None:
    """The format a file name asks for (.ttl, .nt, .jsonld, .rdf, .nq, .trig, each optionally .gz);
    `default` when the extension names none."""
    name = Path(path).name.removesuffix(".gz")
    by_ext = {ext: fmt for fmt, (ext, _, _) in RDF_FORMATS.items()} | EXTENSIONS
    return by_ext.get(name.rsplit(".", 1)[-1].lower() if "." in name else "", default)


def check_format(path: str | Path, fmt: str | None) -> str:
    """The format to write `path` in: `fmt` or the extension's; UsageError when they disagree."""
    implied = format_for(path, None)
    if fmt and implied and implied != fmt:
        raise ExportError(f"{path}: the extension says {implied}, --format says {fmt}; "
                          f"rename the file or drop --format")
    return fmt or implied or "turtle"


def output_file(path: str | Path, fmt: str | None = None) -> Path:
    """`path`, or `path/fkgraph.EXT` (EXT of `fmt`, default Turtle) when `path` names a folder: one
    that exists, or any path written with a trailing slash (`export -o newdir/`)."""
    if str(path).endswith(("/", os.sep)) or Path(path).is_dir():
        return Path(path) / f"{DUMP_NAME}.{RDF_FORMATS[fmt or 'turtle'][0]}"
    return Path(path)


def export(store: ox.Store, path: str | Path, fmt: str | None = None, gzip: bool | None = None) -> Path:
    """Write the store to `path` atomically; the format follows the extension unless given.

    `gzip` defaults to whether `path` ends in `.gz`; with `gzip=True` and no `.gz`, one is added.
    A folder (see `output_file`) receives `fkgraph.EXT`."""
    path = output_file(path, fmt)
    fmt = check_format(path, fmt)
    if gzip is None:
        gzip = path.suffix == ".gz"
    if not gzip and fmt in ("ntriples", "turtle") and isinstance(store, ox.Store):
        # pyoxigraph writes the Turtle into the file itself: no copy of it in Python
        with atomic_write(path, "w+b") as f:
            if fmt == "ntriples":
                f.writelines(_sorted_lines(store))
            else:
                _dump_turtle(store, f, dict(sorted(PREFIXES.items())))
                f.seek(0)
                head = f.read(64 * 1024)
                f.seek(0)
                f.write(_sorted_prefix_lines(head)[:len(head)])  # the same lines, reordered
                f.seek(0, os.SEEK_END)
        return path
    data = serialize(store, fmt)
    if gzip:
        if path.suffix != ".gz":
            path = path.with_name(path.name + ".gz")
        data = gzip_bytes(data)
    return write_bytes(path, data)


def cbd(store: ox.Store, node: ox.NamedNode) -> list[ox.Triple]:
    """The Concise Bounded Description of `node`: its triples, and those of blank nodes it reaches."""
    out, todo, seen = [], [node], set()
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        for q in store.quads_for_pattern(n, None, None, ox.DefaultGraph()):
            out.append(q.triple)
            if isinstance(q.object, ox.BlankNode):
                todo.append(q.object)
    return out
