"""A SHACL validation report in plain records, and its renderings.

Results are normalised to plain records (focus node, path, component, value, severity, source
shape, message) so that any engine's report can be compared with pyshacl's and rendered the
same way: as text grouped by shape (`Report.text()`), as a SHACL validation report in Turtle
(`.turtle()`), as JSON (`.json()`) or as JUnit XML with one test case per shape (`.junit()`),
which is what CI systems display.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

import pyoxigraph as ox

from fkgraph.errors import UsageError
from fkgraph.rdf.terms import PREFIXES, compact

SH = "http://www.w3.org/ns/shacl#"
FKSH = "https://w3id.org/fkgraph/shapes#"
SEVERITY_ORDER = {"Violation": 0, "Warning": 1, "Info": 2}
FORMATS = ("text", "json", "turtle", "junit")


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
        import xml.etree.ElementTree as ET

        grouped = self.by_shape()
        shapes = sorted({s.iri for s in self.shapes} | set(grouped))
        failures = sum(1 for s in shapes if any(r.severity == "Violation" for r in grouped.get(s, [])))
        counts = {"tests": str(len(shapes)), "failures": str(failures), "errors": "0"}
        root = ET.Element("testsuites", name=name, **counts)
        suite = ET.SubElement(root, "testsuite", name=name, **counts, skipped="0")
        for shape in shapes:
            results = grouped.get(shape, [])
            short = _short(shape)
            case = ET.SubElement(suite, "testcase", classname="shapes." + short.split(":", 1)[-1].split("-", 1)[0],
                                 name=short)
            body = "\n".join(_result_line(r) for r in results)
            violations = sum(1 for r in results if r.severity == "Violation")
            if violations:
                about = self._shape_message(shape)
                msg = f"{violations} violation(s): {about}" if about else f"{violations} violation(s)"
                ET.SubElement(case, "failure", message=msg, type="sh:Violation").text = body
            elif results:
                ET.SubElement(case, "system-out").text = body
        ET.indent(root)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"

    def render(self, fmt: str = "text") -> str:
        """One of text, json, turtle, junit."""
        try:
            return {"text": self.text, "json": self.json, "turtle": self.turtle, "junit": self.junit}[fmt]()
        except KeyError:
            raise UsageError(f"unknown report format {fmt!r}; use text, json, turtle or junit") from None


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
    return compact(iri, {**PREFIXES, "fksh": FKSH, "sh": SH}) or iri
