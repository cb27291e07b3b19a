"""Write the graph as files other tools read: Turtle, N-Triples and JSON-LD.

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
from fkgraph.rdf.terms import PREFIXES, compact

#: format name → (file extension, media type, EU file-type authority code)
FORMATS = {
    "turtle": ("ttl", "text/turtle", "RDF_TURTLE"),
    "ntriples": ("nt", "application/n-triples", "RDF_N_TRIPLES"),
    "jsonld": ("jsonld", "application/ld+json", "JSON_LD"),
}
DUMP_NAME = "fkgraph"
CONTEXT_NAME = "context.jsonld"


class ExportError(UsageError):
    """An export asked for what cannot be written: unknown format, unusable URL."""


# ---- terms -------------------------------------------------------------------------------------

RDF_TYPE = PREFIXES["rdf"] + "type"
XSD_STRING = PREFIXES["xsd"] + "string"


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


def _sorted_subjects(triples: list[ox.Triple]):
    """{subject key: (subject, {predicate iri: [objects]})} in output order."""
    grouped: dict[tuple, tuple] = {}
    for t in triples:
        s = t.subject
        key = (isinstance(s, ox.BlankNode), s.value)
        grouped.setdefault(key, (s, {}))[1].setdefault(t.predicate.value, []).append(t.object)
    return [grouped[k] for k in sorted(grouped)]


def _predicate_order(p: str) -> tuple:
    return (p != RDF_TYPE, p)


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
    """The JSON-LD context of fkgraph's dumps: the project's prefixes, and (given the data) a term
    per property named by its local name, its values coerced as the data has them (IRIs, a
    datatype, a language map), so that JavaScript reads `trial.network` and `label.da`."""
    prefixes = prefixes or PREFIXES
    context: dict = dict(sorted(prefixes.items()))
    if source is not None:
        context.update(_terms(_triples(source), prefixes))
    return {"@context": context}


_LANG = "@language"


def _terms(triples: list[ox.Triple], prefixes: dict[str, str]) -> dict[str, dict]:
    """A term per property: its local name (fk: first; a name taken by a prefix or an earlier
    property stays a compact IRI), with `@type: @id`, a datatype or `@container: @language`
    when every value of the property is of that one kind."""
    kinds: dict[str, set] = {}
    for t in triples:
        o = t.object
        kind = "@id" if not isinstance(o, ox.Literal) else _LANG if o.language else o.datatype.value
        kinds.setdefault(t.predicate.value, set()).add(kind)
    terms: dict[str, dict] = {}
    for p in sorted(kinds, key=lambda p: (not p.startswith(prefixes.get("fk", "\0")), p)):
        curie = compact(p, prefixes)
        name = curie.split(":", 1)[1] if curie else None
        if p == RDF_TYPE or not name or name in terms or name in prefixes:
            continue
        term: dict = {"@id": curie}
        (kind,) = kinds[p] if len(kinds[p]) == 1 else (None,)
        if kind == _LANG:
            term["@container"] = _LANG
        elif kind == "@id" or (kind and kind != XSD_STRING):
            term["@type"] = kind if kind == "@id" else (compact(kind, prefixes) or kind)
        terms[name] = term
    return terms


def jsonld(source, prefixes: dict[str, str] | None = None, context: dict | None = None) -> bytes:
    """JSON-LD in flattened form: a `@graph` of node objects, sorted like the Turtle.

    The context is written inline (`jsonld_context` of the data, or `context` when given, e.g. the
    whole graph's for one resource's document), so the file reads offline in any JSON-LD processor;
    properties are terms (or compact IRIs), types compact IRIs, node IRIs absolute."""
    prefixes = prefixes or PREFIXES
    triples = _relabelled(_triples(source))
    ctx = (context or jsonld_context(prefixes, triples))["@context"]
    terms = {v["@id"]: (k, v) for k, v in ctx.items() if isinstance(v, dict)}

    def key(value: str) -> str:
        return compact(value, prefixes) or value

    def ident(node) -> str:
        return f"_:{node.value}" if isinstance(node, ox.BlankNode) else node.value

    def obj(node, term: dict):
        """A value as the term's coercion writes it; a value it does not fit is written in full."""
        coerce = term.get("@type")
        if not isinstance(node, ox.Literal):
            return ident(node) if coerce == "@id" else {"@id": ident(node)}
        if node.language:
            return {"@value": node.value, "@language": node.language}
        datatype = key(node.datatype.value)
        if coerce not in (None, "@id") and datatype == coerce:
            return node.value
        if node.datatype.value == XSD_STRING:
            return {"@value": node.value} if coerce else node.value
        return {"@value": node.value, "@type": datatype}

    def order(v):
        return json.dumps(v, sort_keys=True, ensure_ascii=False)

    graph = []
    for subject, props in _sorted_subjects(triples):
        node: dict = {"@id": ident(subject)}
        for p in sorted(props, key=_predicate_order):
            if p == RDF_TYPE:
                node["@type"] = sorted({key(o.value) if isinstance(o, ox.NamedNode) else ident(o) for o in props[p]})
                continue
            name, term = terms.get(key(p), (key(p), {}))
            if term.get("@container") == _LANG and all(isinstance(o, ox.Literal) and o.language for o in props[p]):
                by_lang: dict = {}
                for o in props[p]:
                    by_lang.setdefault(o.language, []).append(o.value)
                node[name] = {lang: sorted(v) if len(v) > 1 else v[0] for lang, v in sorted(by_lang.items())}
            else:
                if term.get("@container"):  # a value the term cannot hold: written under the full IRI
                    name, term = p, {}
                node[name] = sorted((obj(o, term) for o in props[p]), key=order)
        graph.append(node)
    doc = {"@context": ctx, "@graph": graph}
    return (json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=False) + "\n").encode("utf-8")


def serialize(source, fmt: str = "turtle", prefixes: dict[str, str] | None = None) -> bytes:
    """The graph (a store or triples) as bytes in `fmt`: turtle, ntriples or jsonld."""
    if fmt == "turtle":
        return turtle(source, prefixes)
    if fmt == "ntriples":
        return ntriples(source)
    if fmt == "jsonld":
        return jsonld(source, prefixes)
    raise ExportError(f"unknown export format {fmt!r}; use one of: {', '.join(FORMATS)}")


def format_for(path: str | Path) -> str:
    """The format a file name asks for (.ttl, .nt, .jsonld, each optionally .gz); default turtle."""
    name = Path(path).name.removesuffix(".gz")
    by_ext = {ext: fmt for fmt, (ext, _, _) in FORMATS.items()}
    by_ext["json"] = "jsonld"
    return by_ext.get(name.rsplit(".", 1)[-1] if "." in name else "", "turtle")


def export(store: ox.Store, path: str | Path, fmt: str | None = None, gzip: bool | None = None) -> Path:
    """Write the store to `path` atomically; the format follows the extension unless given.

    `gzip` defaults to whether `path` ends in `.gz`; with `gzip=True` and no `.gz`, one is added."""
    path = Path(path)
    fmt = fmt or format_for(path)
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
