"""SHACL validation of a built graph, with pyshacl as the reference engine.

Results are normalised to plain tuples (focus node, path, component, value, severity, source
shape, message) so that any engine's report can be compared with pyshacl's and rendered the
same way. pyshacl and rdflib are imported inside the functions: `fkgraph query` never pays
for them.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .graph import label, term

SH = "http://www.w3.org/ns/shacl#"


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
    where: str = ""  # source file/lines of the focus node, when the graph knows them

    def key(self) -> tuple:
        """What two engines must agree on."""
        return (self.focus, self.path, self.component, self.source_shape)


@dataclass
class Report:
    conforms: bool
    results: list[Result] = field(default_factory=list)
    engine: str = "pyshacl"

    def by_shape(self) -> dict[str, list[Result]]:
        out: dict[str, list[Result]] = {}
        for r in sorted(self.results):
            out.setdefault(r.source_shape, []).append(r)
        return out

    def text(self) -> str:
        if self.conforms:
            return "conforms: 0 violations"
        lines = [f"does not conform: {len(self.results)} result(s)"]
        for shape, results in self.by_shape().items():
            lines.append(f"{_short(shape)} ({len(results)})")
            for r in results:
                what = f"{r.focus_label} <{r.focus}>" if r.focus_label else f"<{r.focus}>"
                path = f" {_short(r.path)}" if r.path else ""
                value = f" value {r.value}" if r.value else ""
                where = f" [{r.where}]" if r.where else ""
                lines.append(f"  {r.severity}: {what}{path}{value}: {r.message}{where}")
        return "\n".join(lines)

    def json(self) -> str:
        return json.dumps({"conforms": self.conforms, "engine": self.engine,
                           "results": [asdict(r) for r in sorted(self.results)]}, ensure_ascii=False, indent=2)


def _short(iri: str) -> str:
    from .graph import PREFIXES
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns):
            return f"{prefix}:{iri[len(ns):]}"
    if iri.startswith(SH):
        return "sh:" + iri[len(SH):]
    return iri


def to_rdflib(store: ox.Store):
    """Copy a pyoxigraph store into an rdflib Graph (via N-Triples, the cheapest lossless path)."""
    import rdflib

    g = rdflib.Graph()
    data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    g.parse(data=data.decode("utf-8"), format="nt")
    return g


def _where(store: ox.Store, focus: str) -> str:
    """'seed 004, lines 307-320' for a focus node with a source excerpt."""
    try:
        node = ox.NamedNode(focus)
    except ValueError:
        return ""
    for q in store.quads_for_pattern(node, term("prov:wasDerivedFrom"), None, None):
        lab = label(store, q.object, "en")
        if lab:
            return lab
    return ""


def validate(store: ox.Store, shapes: str | Path, ontology: str | Path | None = None) -> Report:
    """Validate the store's default graph against the shapes with pyshacl."""
    import pyshacl
    import rdflib

    data = to_rdflib(store)
    shapes_g = rdflib.Graph().parse(str(shapes), format="turtle")
    ont_g = rdflib.Graph().parse(str(ontology), format="turtle") if ontology else None
    conforms, report_g, _ = pyshacl.validate(
        data, shacl_graph=shapes_g, ont_graph=ont_g, inference="none", advanced=True,
        allow_warnings=True, abort_on_first=False)
    results = []
    shn = rdflib.Namespace(SH)
    for node in report_g.subjects(rdflib.RDF.type, shn.ValidationResult):
        def one(p):
            v = report_g.value(node, p)
            return "" if v is None else str(v)
        msgs = sorted(report_g.objects(node, shn.resultMessage))
        en_msgs = [str(m) for m in msgs if getattr(m, "language", None) == "en"]
        message = en_msgs[0] if en_msgs else (str(msgs[0]) if msgs else "")
        focus = one(shn.focusNode)
        lab = label(store, ox.NamedNode(focus)) if focus.startswith("http") else None
        results.append(Result(
            focus=focus, path=one(shn.resultPath), component=one(shn.sourceConstraintComponent),
            value=one(shn.value), severity=one(shn.resultSeverity).rsplit("#", 1)[-1],
            source_shape=one(shn.sourceShape), message=message, focus_label=lab or "",
            where=_where(store, focus) if focus.startswith("http") else ""))
    violations = [r for r in results if r.severity == "Violation"]
    return Report(conforms=not violations, results=sorted(results))
