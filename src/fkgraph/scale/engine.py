"""The fast validation engine: the `shacl` package (Rust) behind fkgraph.shacl.engine's engine interface.

`fkgraph validate --engine fast` (or `validate(..., engine="fast")`) lands here. pyshacl stays the
reference; this engine must report exactly what pyshacl reports, by focus node, path, constraint
component and source shape (tests/test_engines.py and tests/shapes prove it on every fixture and
on a synthetic graph with injected violations).

How it runs, and why:

- Core constraints (sh:minCount, sh:class, sh:pattern, sh:in, sh:or, sh:lessThanOrEquals …) run
  in `shacl` 0.3.4, which reads the N-Triples dump of the store plus the ontology from a temporary
  file (pyshacl mixes the ontology into the data graph too, so class targets see the same
  subclass axioms). `shacl` evaluates a shape nested in sh:or / sh:node / sh:qualifiedValueShape
  once per value node, and its sh:class collects every instance of the class each time, so a
  nested sh:class is quadratic; ontology/shapes.ttl writes it as the equivalent
  `[ sh:path ( rdf:type [ sh:zeroOrMorePath rdfs:subClassOf ] ) ; sh:hasValue C ]`
  (benchmarks/README.md, "Which shapes cost what").
- SHACL-SPARQL constraints run as one query each on the pyoxigraph store, with `$this` joined to
  the shape's target class, not once per focus node. Two reasons (measured in benchmarks/README.md):
  `shacl` 0.3.4 evaluates a constraint per focus node without using `$this` to drive the join, so
  four of the fkgraph constraints grow quadratically; and it compares
  xsd:date values wrongly (`?a < ?b`, `!=`, YEAR() on two xsd:date literals are never true), which
  silently dropped every fksh:TrialStartInProgrammePeriod violation. A constraint this cannot run
  as a join (a target other than sh:targetClass, a property shape, a SELECT that does not project
  `$this`) is left to `shacl`. The joins run in a second thread while `shacl` works (both release
  the GIL).

Results are returned in the engine interface of fkgraph.shacl.engine: one dict per result with rdflib
terms (focus, path, value, component, severity, source_shape, message, message_da). Terms from
the shapes graph (a blank-node source shape or a complex `sh:path`) are mapped back to the nodes of
the caller's rdflib shapes graph, so they compare equal to pyshacl's.

`shacl` is an optional extra: `pip install 'fkgraph[fast]'`. Without it, `EngineUnavailable` says
so; pyshacl remains the default engine.
"""
from __future__ import annotations

import ctypes
import os
import re
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pyoxigraph as ox

from fkgraph.errors import UsageError
from fkgraph.rdf.terms import PREFIXES
from fkgraph.shacl.report import SH

SHACL_VERSION = "0.3.4"
_TARGETS = ("targetNode", "targetSubjectsOf", "targetObjectsOf", "target", "path")


class EngineUnavailable(UsageError, ImportError):
    """The fast engine's package is not installed; the message names the extra to install."""


def shacl_module():
    """Import the `shacl` package or say how to get it."""
    try:
        import shacl
    except ImportError:
        raise EngineUnavailable(
            f"the fast validation engine needs the optional extra `fast` (the `shacl` package {SHACL_VERSION}): "
            "pip install 'fkgraph[fast]'; or validate with --engine pyshacl") from None
    return shacl


# ---- splitting the shapes graph --------------------------------------------------------------------

def split_shapes(shapes_g) -> tuple[Any, list[tuple]]:
    """(core shapes graph, SPARQL jobs): each job (shape, constraint, select, target classes) runs
    as one join on the store; everything else stays in the core graph for `shacl`."""
    import rdflib

    shn = rdflib.Namespace(SH)
    core = rdflib.Graph()
    for t in shapes_g:
        core.add(t)
    jobs = []
    for shape, constraint in sorted(shapes_g.subject_objects(shn.sparql)):
        select = shapes_g.value(constraint, shn.select)
        targets = sorted(shapes_g.objects(shape, shn.targetClass))
        other = any(shapes_g.value(shape, shn[p]) is not None for p in _TARGETS)
        projects_this = select is not None and re.search(
            r"SELECT\s+(DISTINCT\s+|REDUCED\s+)?[^{]*[?$]this\b", str(select), re.I)
        if select is None or not targets or other or not projects_this:
            continue  # shacl runs it per focus node
        core.remove((shape, shn.sparql, constraint))
        off = rdflib.Literal(True)
        if shapes_g.value(shape, shn.deactivated) == off or shapes_g.value(constraint, shn.deactivated) == off:
            continue
        jobs.append((shape, constraint, str(select), targets))
    return core, jobs


def _declared(shapes_g) -> dict[str, str]:
    """The sh:declare'd prefixes of the shapes graph."""
    import rdflib

    shn = rdflib.Namespace(SH)
    found = {}
    for decl in shapes_g.objects(None, shn.declare):
        p, ns = shapes_g.value(decl, shn.prefix), shapes_g.value(decl, shn.namespace)
        if p is not None and ns is not None:
            found[str(p)] = str(ns)
    return found


def _prefixes(shapes_g) -> str:
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in sorted(_declared(shapes_g).items()))


RDF_TYPE = PREFIXES["rdf"] + "type"
_TYPED_THIS = re.compile(
    r"\b(?i:WHERE)\s*\{\s*[?$]this\s+(a|<[^<>\s]*>|[A-Za-z][\w.-]*:[\w.-]*)\s+(<[^<>\s]*>|[A-Za-z][\w.-]*:[\w.-]*)\s*[;.]")


def types_this(select: str, cls: str, declared: dict[str, str]) -> bool:
    """Whether the SELECT's WHERE clause opens with the triple `$this rdf:type <cls>`: that
    pattern sits in the top-level group, so every solution already has `$this` typed with the
    target class, and joining `?this a <cls>` around the query again changes nothing (and costs
    a fifth of the query's time on the fkgraph shapes)."""
    m = _TYPED_THIS.search(select)
    if m is None:
        return False

    def iri(token: str) -> str | None:
        if token.startswith("<"):
            return token[1:-1]
        prefix, _, local = token.partition(":")
        return declared[prefix] + local if prefix in declared else None

    pred, obj = m.groups()
    return (pred == "a" or iri(pred) == RDF_TYPE) and iri(obj) == cls


# ---- terms ------------------------------------------------------------------------------------------

def _ox_term(nt: str | None):
    """A term in N-Triples syntax (as `shacl` reports it) as a pyoxigraph term."""
    if nt is None or nt == "":
        return None
    quad = next(iter(ox.parse(f"<urn:s> <urn:p> {nt} .\n".encode(), format=ox.RdfFormat.N_TRIPLES)))
    return quad.object


def to_rdflib(t):
    import rdflib

    if t is None:
        return None
    if isinstance(t, ox.NamedNode):
        return rdflib.URIRef(t.value)
    if isinstance(t, ox.BlankNode):
        return rdflib.BNode(t.value)
    if t.language:
        return rdflib.Literal(t.value, lang=t.language)
    if t.datatype.value == "http://www.w3.org/2001/XMLSchema#string":
        return rdflib.Literal(t.value)  # as rdflib parses a simple literal
    return rdflib.Literal(t.value, datatype=rdflib.URIRef(t.datatype.value))


def render_path(shapes_g, path) -> str:
    """A sh:path node in SPARQL property-path syntax (the way `shacl` reports it)."""
    import rdflib
    from rdflib.collection import Collection

    shn = rdflib.Namespace(SH)
    if isinstance(path, rdflib.URIRef):
        return f"<{path}>"
    if path is None:
        return ""
    for op, fmt in (("inversePath", "^{}"), ("oneOrMorePath", "({})+"), ("zeroOrMorePath", "({})*"),
                    ("zeroOrOnePath", "({})?")):
        inner = shapes_g.value(path, shn[op])
        if inner is not None:
            return fmt.format(render_path(shapes_g, inner))
    alt = shapes_g.value(path, shn.alternativePath)
    if alt is not None:
        return "(" + "|".join(render_path(shapes_g, p) for p in Collection(shapes_g, alt)) + ")"
    if shapes_g.value(path, rdflib.RDF.first) is not None:
        return "(" + "/".join(render_path(shapes_g, p) for p in Collection(shapes_g, path)) + ")"
    return str(path)


def shape_key(shapes_g, shape) -> str:
    """A source shape as a key that is the same in every engine and every parse of the shapes:
    its IRI, or for a blank node `root shape|path|constraint parameters` (root = the nearest named
    shape above it through sh:property)."""
    import rdflib

    if shape is None:
        return ""
    if not isinstance(shape, rdflib.BNode):
        return str(shape)
    shn = rdflib.Namespace(SH)
    root, seen = shape, set()
    while isinstance(root, rdflib.BNode) and root not in seen:
        seen.add(root)
        parent = next(iter(shapes_g.subjects(shn.property, root)), None)
        if parent is None:
            break
        root = parent
    params = sorted(str(p)[len(SH):] for p in shapes_g.predicates(shape, None)
                    if str(p).startswith(SH) and p not in (shn.path, shn.message, shn.name, shn.description))
    return f"{root if not isinstance(root, rdflib.BNode) else '_'}|{render_path(shapes_g, shapes_g.value(shape, shn.path))}|{','.join(params)}"


def _blank_shapes(shapes_g) -> dict[tuple[str, str], list]:
    """Blank-node shapes by (root shape IRI, rendered path), to map `shacl`'s back to ours."""
    import rdflib

    shn = rdflib.Namespace(SH)
    out: dict[tuple[str, str], list] = {}
    for parent, child in shapes_g.subject_objects(shn.property):
        if isinstance(child, rdflib.BNode):
            key = shape_key(shapes_g, child).split("|", 2)
            out.setdefault((key[0], key[1]), []).append(child)
    return out


def _has_component(shapes_g, shape, component: str) -> bool:
    """Whether a shape carries a parameter of the constraint component (e.g. MinCount → sh:minCount)."""
    import rdflib

    local = component.rsplit("#", 1)[-1].removesuffix("ConstraintComponent")
    param = local[:1].lower() + local[1:]
    return (shape, rdflib.URIRef(SH + param), None) in shapes_g


def _messages(shapes_g, owner) -> dict[str, str]:
    found: dict[str, str] = {}
    import rdflib

    for m in sorted(shapes_g.objects(owner, rdflib.URIRef(SH + "message"))):
        lang = getattr(m, "language", None) or ""
        found.setdefault(lang, str(m))
    return found


# ---- running ---------------------------------------------------------------------------------------

def run_shacl(store: ox.Store, shapes_g, ont_g=None) -> list[dict]:
    """Validate the store's default graph; one dict per result in fkgraph.shacl.engine's format.

    The SPARQL constraints run on the store in a second thread while `shacl` validates the core
    constraints: both pyoxigraph's query evaluation and `shacl` release the GIL, so the two
    overlap on a machine with more than one core. The data reaches `shacl` as an N-Triples file
    in a temporary directory, written by pyoxigraph itself (`Store.dump` to a path): no copy of
    it is ever a Python object, which at scale cost several times the text's size.
    """
    import rdflib

    shacl = shacl_module()
    core, jobs = split_shapes(shapes_g)
    compiled = shacl.Shapes.from_text(core.serialize(format="nt"), "ntriples")
    prepared = prepare_sparql_jobs(shapes_g, jobs)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="fkgraph-sparql") as pool:
        sparql = pool.submit(execute_sparql_jobs, store, prepared)
        with tempfile.TemporaryDirectory(prefix="fkgraph-validate-") as tmp:
            path = os.path.join(tmp, "data.nt")  # the extension tells `shacl` the syntax
            store.dump(path, format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
            if ont_g is not None:
                with open(path, "ab") as f:
                    f.write(ont_g.serialize(format="nt", encoding="utf-8"))
            report = compiled.validate_file(path, allow_warnings=True)
        _return_freed_memory()
        shn = rdflib.Namespace(SH)
        blanks = None
        out = []
        for r in report.results:
            component = rdflib.URIRef(r.component_iri)
            source = to_rdflib(_ox_term(r.source_shape))
            if isinstance(source, rdflib.BNode):
                blanks = blanks if blanks is not None else _blank_shapes(shapes_g)
                root = to_rdflib(_ox_term(r.root_shape))
                cands = [c for c in blanks.get((str(root), r.path or ""), []) if _has_component(shapes_g, c, r.component_iri)]
                source = cands[0] if len(cands) == 1 else source
            path = None
            if r.path:
                m = re.fullmatch(r"<([^<>]*)>", r.path)
                path = rdflib.URIRef(m.group(1)) if m else shapes_g.value(source, shn.path)
            msgs = _messages(shapes_g, source)
            out.append({
                "focus": to_rdflib(_ox_term(r.focus_node)), "path": path, "value": to_rdflib(_ox_term(r.value)),
                "component": component, "severity": rdflib.URIRef(r.severity_iri), "source_shape": source,
                "message": msgs.get("en") or msgs.get("") or (r.message or ""), "message_da": msgs.get("da", ""),
            })
        out += sparql.result()
    return out


def _return_freed_memory() -> None:
    """`shacl` validates on worker threads, each with a malloc arena of its own: what they free
    stays resident and cannot serve this thread's next allocations. glibc's malloc_trim hands it
    back to the OS."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None).malloc_trim(0)
        except (OSError, AttributeError):  # a libc without malloc_trim (musl)
            pass


def run_sparql_jobs(store: ox.Store, shapes_g, jobs: list[tuple]) -> list[dict]:
    """Each SPARQL constraint as one query over the whole store, `$this` joined to its target class."""
    return execute_sparql_jobs(store, prepare_sparql_jobs(shapes_g, jobs))


def prepare_sparql_jobs(shapes_g, jobs: list[tuple]) -> list[tuple]:
    """Everything a job needs from the shapes graph, read up front, so that the queries can run in
    another thread without touching the (not thread-safe) rdflib graph: (query text per target
    class, severity, source shape, message templates)."""
    import rdflib

    shn = rdflib.Namespace(SH)
    declared = _declared(shapes_g)
    prefixes = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in sorted(declared.items()))
    out = []
    for shape, constraint, select, targets in jobs:
        severity = shapes_g.value(shape, shn.severity) or shn.Violation
        templates = [(str(t), t.language) for t in shapes_g.objects(constraint, shn.message)] or \
                    [(str(t), t.language) for t in shapes_g.objects(shape, shn.message)]
        inner = select.replace("$this", "?this")
        queries = [f"{prefixes}{inner}" if types_this(select, str(cls), declared) else
                   f"{prefixes}SELECT * WHERE {{ ?this a <{cls}> . {{ {inner} }} }}" for cls in targets]
        out.append((queries, severity, shape, templates))
    return out


def execute_sparql_jobs(store: ox.Store, prepared: list[tuple]) -> list[dict]:
    """Run prepared jobs (`prepare_sparql_jobs`) on the store; one dict per solution."""
    component = to_rdflib(ox.NamedNode(SH + "SPARQLConstraintComponent"))
    out = []
    for queries, severity, shape, templates in prepared:
        for query in queries:
            solutions = store.query(query)
            names = [v.value for v in solutions.variables]
            for row in solutions:
                binds = {n: row[n] for n in names if row[n] is not None}
                focus = binds.get("this")
                msgs: dict[str, str] = {}
                for template, lang in templates:
                    if (lang or "") not in msgs:
                        msgs[lang or ""] = re.sub(
                            r"\{[?$]([A-Za-z_][A-Za-z0-9_]*)\}",
                            lambda m: binds[m.group(1)].value if m.group(1) in binds else m.group(0), template)
                out.append({
                    "focus": to_rdflib(focus), "path": to_rdflib(binds.get("path")),
                    "value": to_rdflib(binds.get("value", focus)), "component": component,
                    "severity": severity, "source_shape": shape,
                    "message": msgs.get("en") or msgs.get("") or next(iter(msgs.values()), ""),
                    "message_da": msgs.get("da", ""),
                })
    return out


def result_keys(report, shapes_g) -> list[tuple]:
    """What two engines must agree on, stable across parses of the shapes graph: (focus, path,
    component, source shape key), a complex path written in SPARQL syntax."""
    import rdflib

    def node(s: str):
        return rdflib.BNode(s[2:]) if s.startswith("_:") else rdflib.URIRef(s)

    shn = rdflib.Namespace(SH)
    out = []
    for r in report.results:
        path = r.path
        if path.startswith("_:"):  # a complex path: its blank node may come from another parse
            owner = node(r.source_shape) if r.source_shape else None
            if (node(path), None, None) in shapes_g:
                path = render_path(shapes_g, node(path))
            elif owner is not None and not isinstance(owner, rdflib.BNode):
                path = render_path(shapes_g, shapes_g.value(owner, shn.path))
        out.append((r.focus, path, r.component, shape_key(shapes_g, node(r.source_shape)) if r.source_shape else ""))
    return sorted(out)
