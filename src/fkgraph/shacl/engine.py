"""SHACL validation of a built graph, with pyshacl as the reference engine.

`validate(..., engine=...)` takes "pyshacl" or any callable with the signature of
`run_pyshacl` (the caller picks a faster engine, such as fkgraph.scale.engine.run_shacl, which
must agree with pyshacl on `Result.key()` in the tests). pyshacl and rdflib are imported inside
the functions: `fkgraph query` never pays for them.
"""
from __future__ import annotations

import contextlib
import threading
from pathlib import Path
from typing import Callable

import pyoxigraph as ox

from fkgraph.errors import DataError, UsageError
from fkgraph.rdf.store import Built, Progress, label
from fkgraph.rdf.terms import compact, term
from fkgraph.shacl.report import SH, Report, Result, ShapeInfo

Engine = Callable[[ox.Store, object, object], list]


def to_rdflib(store: ox.Store):
    """Copy a pyoxigraph store into an rdflib Graph (via N-Triples, the cheapest lossless path)."""
    import rdflib

    g = rdflib.Graph()
    data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    g.parse(data=data.decode("utf-8"), format="nt")
    return g


def run_pyshacl(store: ox.Store, shapes_g, ont_g) -> list[dict]:
    """The reference engine. Returns one dict per sh:ValidationResult, terms as rdflib terms."""
    import pyshacl
    import rdflib

    data = to_rdflib(store)
    with _prepared_queries():
        conforms, report_g, text = pyshacl.validate(
            data, shacl_graph=shapes_g, ont_graph=ont_g, inference="none", advanced=True,
            allow_warnings=True, abort_on_first=False)
    if not isinstance(report_g, rdflib.Graph):  # pyshacl reports a broken shapes graph this way
        raise UsageError(f"the shapes cannot be used: {text.strip()}")
    shn = rdflib.Namespace(SH)
    out = []
    for node in report_g.subjects(rdflib.RDF.type, shn.ValidationResult):
        def one(p):
            return report_g.value(node, p)
        en, da = _messages(shapes_g, one(shn.sourceShape), one(shn.sourceConstraint),
                           list(report_g.objects(node, shn.resultMessage)))
        out.append({
            "focus": one(shn.focusNode), "path": one(shn.resultPath), "value": one(shn.value),
            "component": one(shn.sourceConstraintComponent), "severity": one(shn.resultSeverity),
            "source_shape": one(shn.sourceShape), "message": en, "message_da": da,
        })
    return out


#: The engines shacl/ has by name; others are passed as callables.
ENGINES: dict[str, Engine] = {"pyshacl": run_pyshacl}
_PATCH_LOCK = threading.Lock()


@contextlib.contextmanager
def _prepared_queries():
    """Let rdflib parse each SHACL-SPARQL query once instead of once per focus node.

    pyshacl hands rdflib the query text for every focus node, and rdflib parses it every time
    (most of pyshacl's time on this data). While pyshacl runs, rdflib's SPARQL processor
    keeps the translated query of each text, as `rdflib.plugins.sparql.prepareQuery` would:
    same algebra, same initial bindings, same results.
    """
    from rdflib.plugins.sparql import processor

    with _PATCH_LOCK:
        original = processor.SPARQLProcessor.query
        cache: dict = {}

        def query(self, strOrQuery, initBindings=None, initNs=None, base=None, DEBUG=False):
            if isinstance(strOrQuery, str):
                key = (strOrQuery, base, tuple(sorted((k, str(v)) for k, v in (initNs or {}).items())))
                if key not in cache:
                    cache[key] = processor.translateQuery(processor.parseQuery(strOrQuery), base, initNs)
                strOrQuery = cache[key]
            return original(self, strOrQuery, initBindings, initNs, base, DEBUG)

        processor.SPARQLProcessor.query = query
        try:
            yield
        finally:
            processor.SPARQLProcessor.query = original


def _template_re(template: str):
    import re
    parts = re.split(r"\{[?$][A-Za-z_][A-Za-z0-9_]*\}", template)
    return re.compile(".*?".join(re.escape(p) for p in parts), re.S)


def _messages(shapes_g, shape, constraint, emitted) -> tuple[str, str]:
    """The English and Danish result message.

    pyshacl fills in {?var} in the messages of a SPARQL constraint but drops their language
    tags, and adds the shape's own messages too; the language is recovered by matching each
    emitted message against the templates (the constraint's first, then the shape's).
    """
    import rdflib

    shn = rdflib.Namespace(SH)
    templates = []
    for owner in (constraint, shape):
        if owner is not None:
            templates += [(str(t), t.language) for t in shapes_g.objects(owner, shn.message)]
    found: dict[str, str] = {}
    for template, lang in templates:
        rx = _template_re(template)
        for m in sorted(emitted):
            if lang and lang not in found and (getattr(m, "language", None) in (None, lang)) and rx.fullmatch(str(m)):
                found[lang] = str(m)
    if "en" not in found:
        found["en"] = _pick(emitted, "en")
    return found.get("en", ""), found.get("da", "")


def _pick(msgs, lang: str, fallback: bool = True) -> str:
    for m in sorted(msgs):
        if getattr(m, "language", None) == lang:
            return str(m)
    if fallback:
        plain = [str(m) for m in sorted(msgs) if not getattr(m, "language", None)]
        return plain[0] if plain else (str(sorted(msgs)[0]) if msgs else "")
    return ""


# ---- the public function -----------------------------------------------------------------------

def validate(store: ox.Store | Built, shapes: str | Path, ontology: str | Path | None = None,
             engine: str | Engine = "pyshacl", progress: Progress | None = None, name: str | None = None,
             allow_empty: bool = False) -> Report:
    """Validate the store's default graph against the shapes.

    `store` may be a `Built`: then each result also names the YAML record (file:line) its focus
    node was built from (`Built.origins`). `engine` is "pyshacl" (the reference) or a callable
    like `run_pyshacl`; `name` is what the report calls it (default: the name given, or the
    function's). `progress` hears three stages: the shapes read, the engine done, the results
    labelled (an engine is one call into a validator that reports nothing while it runs).

    A shapes graph without shapes, or data with no resource any shape targets, is a DataError
    (unless `allow_empty`): "conforms" would only mean that nothing was checked.
    """
    import time
    import rdflib

    if isinstance(engine, str):
        if engine not in ENGINES:
            raise UsageError(f"unknown validation engine {engine!r}; available: {', '.join(sorted(ENGINES))} "
                             f"(or pass a function, such as fkgraph.scale.engine.run_shacl)")
        name, engine = name or engine, ENGINES[engine]
    name = name or getattr(engine, "__name__", "custom")
    started = time.monotonic()
    locate = store if isinstance(store, Built) else None
    if isinstance(store, Built):
        store = store.store
    stage = f"validating ({name})"
    if progress:
        progress(stage, 0, 3)
    shapes_g = _shapes_graph(shapes)
    if not allow_empty:
        _check_not_empty(store, shapes_g, shapes)
    ont_g = rdflib.Graph().parse(str(ontology), format="turtle") if ontology else None
    if progress:
        progress(stage, 1, 3)
    raw = engine(store, shapes_g, ont_g)
    if progress:
        progress(stage, 2, 3)
    results = sorted(_result(r, store, locate) for r in raw)
    if progress:
        progress(stage, 3, 3)
    conforms = not any(r.severity == "Violation" for r in results)
    return Report(conforms=conforms, results=results, engine=name, shapes=shape_infos(shapes_g),
                  seconds=time.monotonic() - started)


def _shapes_graph(shapes: str | Path):
    import rdflib

    try:
        g = rdflib.Graph().parse(str(shapes), format="turtle")
    except Exception as e:  # rdflib raises several unrelated types for a broken file
        raise DataError(f"{shapes}: not readable as Turtle: {' '.join(str(e).split())[:200]}") from None
    if not shape_infos(g) and not any(g.subjects(rdflib.URIRef(SH + "targetClass"), None)):
        raise DataError(f"{shapes}: holds no SHACL shapes (no sh:NodeShape or sh:PropertyShape); "
                        f"point the home's ontology/shapes.ttl at fkgraph's shapes")
    return g


def _check_not_empty(store: ox.Store, shapes_g, shapes) -> None:
    """Data that no shape targets would 'conform' without a single check: refuse it."""
    import rdflib

    targets = sorted({str(c) for c in shapes_g.objects(None, rdflib.URIRef(SH + "targetClass"))})
    rdf_type = ox.NamedNode(str(rdflib.RDF.type))
    for c in targets:
        if next(iter(store.quads_for_pattern(None, rdf_type, ox.NamedNode(c), None)), None) is not None:
            return
    named = ", ".join(compact(c) or c for c in targets[:6]) + (" …" if len(targets) > 6 else "")
    raise DataError(f"nothing to validate: the data holds no resource of a class the shapes in {Path(shapes).name} "
                    f"target ({named}); give fkgraph data (or --allow-empty to accept an empty graph)")


def _result(r: dict, store: ox.Store, locate: Built | None) -> Result:
    """An engine's result as a plain record, with labels and where its focus node came from."""
    import rdflib

    focus, value = r["focus"], r.get("value")
    focus_s, value_s = _plain(focus), _plain(value)
    is_iri = isinstance(focus, rdflib.URIRef)
    return Result(
        focus=focus_s, path=_plain(r.get("path")), component=_plain(r.get("component")),
        value=value_s, severity=_plain(r.get("severity")).rsplit("#", 1)[-1] or "Violation",
        source_shape=_plain(r.get("source_shape")), message=r.get("message", ""),
        focus_label=(label(store, ox.NamedNode(focus_s)) or "") if is_iri else "",
        where=_where(store, focus_s) if is_iri else "",
        record=locate.origin(focus_s) if is_iri and locate else "",
        message_da=r.get("message_da", ""),
        value_label=(label(store, ox.NamedNode(value_s)) or "") if isinstance(value, rdflib.URIRef) else "",
        focus_n3=focus.n3() if focus is not None else "",
        value_n3=value.n3() if value is not None else "",
        **_place(locate, focus_s if is_iri else "", _plain(r.get("path"))),
    )


def _place(locate: Built | None, focus: str, path: str) -> dict:
    if not (locate and focus):
        return {}
    file, line, field = locate.place(focus, path)
    return {"file": file, "line": line, "field": field}


def _plain(term_) -> str:
    if term_ is None:
        return ""
    import rdflib
    if isinstance(term_, rdflib.BNode):
        return f"_:{term_}"
    return str(term_)


def shape_infos(shapes_g) -> list[ShapeInfo]:
    """Every named shape of a shapes graph (node and property shapes), with its messages."""
    import rdflib

    shn = rdflib.Namespace(SH)
    found = set()
    for cls in (shn.NodeShape, shn.PropertyShape):
        found |= {s for s in shapes_g.subjects(rdflib.RDF.type, cls) if isinstance(s, rdflib.URIRef)}
    out = []
    for s in sorted(found):
        msgs = list(shapes_g.objects(s, shn.message))
        out.append(ShapeInfo(str(s), _pick(msgs, "en"), _pick(msgs, "da", fallback=False)))
    return out


def _where(store: ox.Store, focus: str) -> str:
    """'seed 004, lines 307-320' for a focus node with source excerpts (several joined by '; ')."""
    try:
        node = ox.NamedNode(focus)
    except ValueError:
        return ""
    found = []
    for q in store.quads_for_pattern(node, term("prov:wasDerivedFrom"), None, None):
        lab = label(store, q.object, "en")
        if lab:
            found.append(lab)
    return "; ".join(sorted(found))
