"""SHACL validation of a built graph, with pyshacl as the reference engine.

Results are normalised to plain records (focus node, path, component, value, severity, source
shape, message) so that any engine's report can be compared with pyshacl's and rendered the
same way: as text grouped by shape (`Report.text()`), as a SHACL validation report in Turtle
(`.turtle()`), as JSON (`.json()`) or as JUnit XML with one test case per shape (`.junit()`),
which is what CI systems display.

Engines are looked up by name in `ENGINES` (`validate(..., engine="pyshacl")`); a faster engine
registers a function with the same signature as `_run_pyshacl` and must agree with pyshacl on
`Result.key()` in the tests.

pyshacl and rdflib are imported inside the functions: `fkgraph query` never pays for them.
"""
from __future__ import annotations

import contextlib
import json
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import pyoxigraph as ox

from fkgraph.rdf.graph import PREFIXES, Built, Progress, label, term

SH = "http://www.w3.org/ns/shacl#"
FKSH = "https://w3id.org/fkgraph/shapes#"
SEVERITY_ORDER = {"Violation": 0, "Warning": 1, "Info": 2}


@dataclass(frozen=True, order=True)
class Result:
    focus: str
    path: str
    component: str
    value: str
    severity: str
    source_shape: str
    message: str = ""
    focus_label: str = ""
    where: str = ""          # the seed excerpt(s) the focus node is derived from, e.g. "seed 004, lines 307-320"
    record: str = ""         # the YAML record the focus node was built from, e.g. "data/networks/frikommune-ii-4.yaml:12"
    message_da: str = ""
    value_label: str = ""
    focus_n3: str = ""       # the focus node and value as N-Triples terms, for the Turtle report
    value_n3: str = ""

    def key(self) -> tuple:
        """What two engines must agree on."""
        return (self.focus, self.path, self.component, self.source_shape)


@dataclass(frozen=True)
class ShapeInfo:
    """A shape of the shapes graph: its IRI, its English and Danish messages."""

    iri: str
    message: str = ""
    message_da: str = ""


@dataclass
class Report:
    conforms: bool
    results: list[Result] = field(default_factory=list)
    engine: str = "pyshacl"
    shapes: list[ShapeInfo] = field(default_factory=list)  # every shape checked, also those that passed

    # ---- views -------------------------------------------------------------------------------
    def by_shape(self) -> dict[str, list[Result]]:
        out: dict[str, list[Result]] = {}
        for r in sorted(self.results, key=lambda r: (r.source_shape, SEVERITY_ORDER.get(r.severity, 3), r.focus, r.path, r.value)):
            out.setdefault(r.source_shape, []).append(r)
        return out

    def counts(self) -> dict[str, int]:
        out = {"Violation": 0, "Warning": 0, "Info": 0}
        for r in self.results:
            out[r.severity] = out.get(r.severity, 0) + 1
        return out

    def _shape_message(self, shape: str, lang: str = "en") -> str:
        for s in self.shapes:
            if s.iri == shape:
                return s.message_da if lang == "da" and s.message_da else s.message
        return ""

    # ---- renderings --------------------------------------------------------------------------
    def text(self) -> str:
        """Human-readable: one block per shape, each focus node with its label and source lines."""
        c = self.counts()
        summary = f"{c['Violation']} violation(s), {c['Warning']} warning(s), {c['Info']} info(s)"
        if not self.results:
            return f"conforms: 0 violations ({len(self.shapes)} shapes checked by {self.engine})"
        lines = [("conforms" if self.conforms else "does not conform") + f": {summary} ({self.engine})"]
        for shape, results in self.by_shape().items():
            about = self._shape_message(shape)
            lines.append("")
            lines.append(f"{_short(shape)} ({len(results)})" + (f": {about}" if about else ""))
            for r in results:
                focus = f"{r.focus_label} <{r.focus}>" if r.focus_label else f"<{r.focus}>"
                lines.append(f"  {r.severity}: {focus}")
                detail = []
                if r.path:
                    detail.append(_short(r.path))
                if r.value:
                    detail.append(f"= {r.value_label} <{r.value}>" if r.value_label else f"= {_short(r.value)}")
                msg = r.message or about
                lines.append("      " + (" ".join(detail) + ": " if detail else "") + msg)
                where = "; ".join(x for x in (r.record, r.where) if x)
                if where:
                    lines.append(f"      at {where}")
        return "\n".join(lines)

    def json(self) -> str:
        return json.dumps({"conforms": self.conforms, "engine": self.engine, "counts": self.counts(),
                           "results": [asdict(r) for r in sorted(self.results)]},
                          ensure_ascii=False, indent=2)

    def turtle(self) -> str:
        """The report as a SHACL validation report graph (sh:ValidationReport) in Turtle."""
        out = [f"@prefix sh: <{SH}> .", f"@prefix fksh: <{FKSH}> ."]
        out += [f"@prefix {p}: <{ns}> ." for p, ns in sorted(PREFIXES.items())]
        out.append("")
        out.append("[] a sh:ValidationReport ;")
        out.append(f"    sh:conforms {'true' if self.conforms else 'false'}" + (" ;" if self.results else " ."))
        for i, r in enumerate(sorted(self.results)):
            props = ["a sh:ValidationResult", f"sh:focusNode {r.focus_n3 or _iri(r.focus)}"]
            if r.path:
                props.append(f"sh:resultPath {_iri(r.path)}")
            if r.value_n3 or r.value:
                props.append(f"sh:value {r.value_n3 or _iri(r.value)}")
            props.append(f"sh:resultSeverity sh:{r.severity}")
            props.append(f"sh:sourceShape {_iri(r.source_shape)}")
            props.append(f"sh:sourceConstraintComponent {_iri(r.component)}")
            msgs = [ox.Literal(r.message, language="en")] if r.message else []
            if r.message_da:
                msgs.append(ox.Literal(r.message_da, language="da"))
            if msgs:
                props.append("sh:resultMessage " + " , ".join(str(m) for m in msgs))
            end = " ;" if i < len(self.results) - 1 else " ."
            out.append("    sh:result [\n        " + " ;\n        ".join(props) + "\n    ]" + end)
        return "\n".join(out) + "\n"

    def junit(self, name: str = "fkgraph shapes") -> str:
        """JUnit XML: one test case per shape; a shape with violations is a failed test case."""
        from xml.sax.saxutils import escape, quoteattr  # not at import: it pulls in urllib and http

        grouped = self.by_shape()
        shapes = sorted({s.iri for s in self.shapes} | set(grouped))
        failures = sum(1 for s in shapes if any(r.severity == "Violation" for r in grouped.get(s, [])))
        out = ['<?xml version="1.0" encoding="UTF-8"?>',
               f'<testsuites name={quoteattr(name)} tests="{len(shapes)}" failures="{failures}" errors="0">',
               f'  <testsuite name={quoteattr(name)} tests="{len(shapes)}" failures="{failures}" errors="0" skipped="0">']
        for shape in shapes:
            results = grouped.get(shape, [])
            short = _short(shape)
            about = self._shape_message(shape)
            attrs = f'classname={quoteattr("shapes." + (short.split(":", 1)[-1].split("-", 1)[0]))} name={quoteattr(short)}'
            body = "\n".join(_result_line(r) for r in results)
            violations = [r for r in results if r.severity == "Violation"]
            if violations:
                out.append(f"    <testcase {attrs}>")
                msg = f"{len(violations)} violation(s): {about}" if about else f"{len(violations)} violation(s)"
                out.append(f"      <failure message={quoteattr(msg)} type=\"sh:Violation\">{escape(body)}</failure>")
                out.append("    </testcase>")
            elif results:
                out.append(f"    <testcase {attrs}>")
                out.append(f"      <system-out>{escape(body)}</system-out>")
                out.append("    </testcase>")
            else:
                out.append(f"    <testcase {attrs}/>")
        out += ["  </testsuite>", "</testsuites>", ""]
        return "\n".join(out)

    def render(self, fmt: str = "text") -> str:
        """One of text, json, turtle, junit."""
        try:
            return {"text": self.text, "json": self.json, "turtle": self.turtle, "junit": self.junit}[fmt]()
        except KeyError:
            raise ValueError(f"unknown report format {fmt!r}; use text, json, turtle or junit") from None


FORMATS = ("text", "json", "turtle", "junit")


def _result_line(r: Result) -> str:
    focus = f"{r.focus_label} <{r.focus}>" if r.focus_label else f"<{r.focus}>"
    path = f" {_short(r.path)}" if r.path else ""
    value = f" = {r.value_label or r.value}" if r.value else ""
    where = "; ".join(x for x in (r.record, r.where) if x)
    return f"{r.severity}: {focus}{path}{value}: {r.message}" + (f" [{where}]" if where else "")


def _iri(iri: str) -> str:
    if iri.startswith("_:"):
        return iri
    return f"<{iri}>"


def _short(iri: str) -> str:
    if iri.startswith(FKSH):
        return "fksh:" + iri[len(FKSH):]
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns):
            return f"{prefix}:{iri[len(ns):]}"
    if iri.startswith(SH):
        return "sh:" + iri[len(SH):]
    return iri


# ---- engines -----------------------------------------------------------------------------------

def to_rdflib(store: ox.Store):
    """Copy a pyoxigraph store into an rdflib Graph (via N-Triples, the cheapest lossless path)."""
    import rdflib

    g = rdflib.Graph()
    data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    g.parse(data=data.decode("utf-8"), format="nt")
    return g


def _run_pyshacl(store: ox.Store, shapes_g, ont_g) -> list[dict]:
    """The reference engine. Returns one dict per sh:ValidationResult, terms as rdflib terms."""
    import pyshacl
    import rdflib

    data = to_rdflib(store)
    with _prepared_queries():
        conforms, report_g, text = pyshacl.validate(
            data, shacl_graph=shapes_g, ont_graph=ont_g, inference="none", advanced=True,
            allow_warnings=True, abort_on_first=False)
    if not isinstance(report_g, rdflib.Graph):  # pyshacl reports a broken shapes graph this way
        raise ValueError(f"the shapes cannot be used: {text.strip()}")
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


_PATCH_LOCK = threading.Lock()


@contextlib.contextmanager
def _prepared_queries():
    """Let rdflib parse each SHACL-SPARQL query once instead of once per focus node.

    pyshacl hands rdflib the query text for every focus node, and rdflib parses it every time
    (about 95% of pyshacl's time on this data). While pyshacl runs, rdflib's SPARQL processor
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
    for rank, (template, lang) in enumerate(templates):
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


Engine = Callable[[ox.Store, object, object], list]


def _run_shacl_package(store: ox.Store, shapes_g, ont_g) -> list[dict]:
    """The `shacl` package (optional extra `fast`), adapted in fkgraph.scale.engine."""
    from fkgraph.scale.engine import run_shacl
    return run_shacl(store, shapes_g, ont_g)


#: Validation engines by name. "pyshacl" is the reference; "fast" must agree with it (tests/shapes).
ENGINES: dict[str, Engine] = {"pyshacl": _run_pyshacl, "fast": _run_shacl_package}


# ---- the public function -----------------------------------------------------------------------

def validate(store: ox.Store | Built, shapes: str | Path, ontology: str | Path | None = None,
             engine: str = "pyshacl", progress: Progress | None = None) -> Report:
    """Validate the store's default graph against the shapes.

    `store` may be a `graph.Built`: then each result also names the YAML record (file:line)
    its focus node was built from. `engine` names an entry of `ENGINES` (default: pyshacl,
    the reference). `progress` hears three stages: the shapes read, the engine done, the
    results labelled (an engine is one call into a validator that reports nothing while it runs).
    """
    import rdflib

    if engine not in ENGINES:
        raise ValueError(f"unknown validation engine {engine!r}; available: {', '.join(sorted(ENGINES))}")
    locate = _record_locator(store) if isinstance(store, Built) else (lambda iri: "")
    if isinstance(store, Built):
        store = store.store
    stage = f"validating ({engine})"
    if progress:
        progress(stage, 0, 3)
    shapes_g = rdflib.Graph().parse(str(shapes), format="turtle")
    ont_g = rdflib.Graph().parse(str(ontology), format="turtle") if ontology else None
    if progress:
        progress(stage, 1, 3)
    raw = ENGINES[engine](store, shapes_g, ont_g)
    if progress:
        progress(stage, 2, 3)

    results = []
    for r in raw:
        focus, value = r["focus"], r.get("value")
        focus_s = _plain(focus)
        value_s = _plain(value)
        is_iri = isinstance(focus, rdflib.URIRef)
        results.append(Result(
            focus=focus_s, path=_plain(r.get("path")), component=_plain(r.get("component")),
            value=value_s, severity=_plain(r.get("severity")).rsplit("#", 1)[-1] or "Violation",
            source_shape=_plain(r.get("source_shape")), message=r.get("message", ""),
            focus_label=(label(store, ox.NamedNode(focus_s)) or "") if is_iri else "",
            where=_where(store, focus_s) if is_iri else "",
            record=locate(focus_s) if is_iri else "",
            message_da=r.get("message_da", ""),
            value_label=(label(store, ox.NamedNode(value_s)) or "") if isinstance(value, rdflib.URIRef) else "",
            focus_n3=focus.n3() if focus is not None else "",
            value_n3=value.n3() if value is not None else "",
        ))
    violations = [r for r in results if r.severity == "Violation"]
    if progress:
        progress(stage, 3, 3)
    return Report(conforms=not violations, results=sorted(results), engine=engine, shapes=shape_infos(shapes_g))


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


def _record_locator(built: Built) -> Callable[[str], str]:
    """Map an IRI of the built graph to 'file:line' of the record it was built from."""
    from fkgraph.model import iris

    base, recs = built.base, built.records
    places: dict[str, str] = {}
    prefixes: list[tuple[str, str]] = []

    def at(rec, key: str | None = None) -> str:
        line = rec.line_of(key) if key and hasattr(rec, "line_of") else getattr(rec, "line", 1)
        return f"{_relative(getattr(rec, 'file', '?'), recs.root)}:{line}"

    def put(iri_fn, rec, key=None):
        try:
            places[iri_fn()] = at(rec, key)
        except (ValueError, KeyError, TypeError):
            pass

    for doc in recs.sources:
        put(lambda: iris.mint("document", base, doc=doc["id"]), doc)
    for p in recs.programmes:
        put(lambda: iris.mint("programme", base, programme=p["id"]), p)
        for r in p.get("rounds", []) or []:
            put(lambda: iris.mint("round", base, programme=p["id"], round=r["number"]), r)
    for m in recs.municipalities:
        put(lambda: iris.mint("municipality", base, code=m["code"]), m)
    for s in recs.statutes:
        put(lambda: iris.statute(s["id"], base), s)
        prefixes.append((iris.statute(s["id"], base) + "/", at(s)))
    for n in recs.networks:
        put(lambda: iris.mint("network", base, programme=n["programme"], network=n["number"]), n)
    for t in recs.trials:
        put(lambda: iris.mint("trial", base, programme=t["programme"], trial=t["id"]), t)
        for kind in ("exemption", "legal-basis"):
            try:
                prefixes.append((iris.mint(kind, base, programme=t["programme"], trial=t["id"], target="x")[:-1],
                                 at(t, "exemptions" if kind == "exemption" else "legal_basis")))
            except ValueError:
                pass
    for a in recs.applications:
        put(lambda: iris.mint("application", base, programme=a["programme"], application=a["id"]), a)
    for e in recs.evaluations:
        put(lambda: iris.evaluation(e["programme"], e["network"], e["evaluator"], e["design"]["da"], base), e)
    for o in recs.outcomes:
        put(lambda: iris.mint("outcome", base, outcome=o["id"]), o)
    prefixes.sort(key=lambda p: -len(p[0]))

    def locate(iri: str) -> str:
        if iri in places:
            return places[iri]
        for prefix, place in prefixes:
            if iri.startswith(prefix):
                return place
        return ""
    return locate


def _relative(file: str, root: Path) -> str:
    """A record's file relative to the folder holding data/ (e.g. data/networks/x.yaml)."""
    try:
        return str(Path(file).resolve().relative_to(Path(root).resolve().parent))
    except ValueError:
        return file
