"""A SHACL validation report in plain records, and its renderings.

Results are normalised to plain records (focus node, path, component, value, severity, source
shape, message, and the data file, line and field they came from) so that any engine's report
can be compared with pyshacl's and rendered the same way: as text grouped by shape
(`Report.text()`), one `file:line: message` line per problem (`.lines()`), a SHACL validation
report in Turtle (`.turtle()`), JSON, JUnit XML with one test case per shape, GitHub workflow
commands (annotations on the pull request's lines) and SARIF 2.1.0 (code-scanning tools). Record
errors, found before any graph exists, become results of the same kind (`from_record_errors`),
so every format reports them too.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

from pathlib import Path

import pyoxigraph as ox

from fkgraph.errors import UsageError
from fkgraph.rdf.terms import PREFIXES, compact

SH = "http://www.w3.org/ns/shacl#"
FKSH = "https://w3id.org/fkgraph/shapes#"
SEVERITY_ORDER = {"Violation": 0, "Warning": 1, "Info": 2}
FORMATS = ("text", "lines", "json", "turtle", "junit", "github", "sarif")
RECORDS = "records"  # the source_shape of a record error: records, or records/<rule>


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
    file: str = ""           # the data (or RDF) file the problem is in, relative to the home
    line: int = 0            # its line there (0: the file as a whole)
    field: str = ""          # the record field the value came from, e.g. "status"

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
    header: str = ""         # what was checked: which home, which parts packaged
    seconds: float = 0.0
    timestamp: str = field(default_factory=lambda: datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"))

    @classmethod
    def from_record_errors(cls, errors, home: str | Path | None = None, header: str = "") -> "Report":
        """A failed report of record errors (each with file, line, message, and `field`/`rule` if known)."""
        results = [Result(focus="", path="", component=RECORDS, value="", severity="Violation",
                          source_shape=RECORDS + (f"/{e.rule}" if getattr(e, "rule", None) else ""),
                          message=e.message, file=_relative(e.file, home), line=e.line or 1,
                          field=getattr(e, "field", None) or "")
                   for e in errors]
        return cls(conforms=False, results=results, engine="records", header=header)

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
        if self.engine == RECORDS:  # no graph was built: nothing to group by shape
            return self.lines()
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
        counts = {"tests": str(len(shapes)), "failures": str(failures), "errors": "0",
                  "time": f"{self.seconds:.3f}"}
        root = ET.Element("testsuites", name=name, **counts)
        suite = ET.SubElement(root, "testsuite", name=name, **counts, skipped="0", timestamp=self.timestamp)
        if self.header:
            ET.SubElement(ET.SubElement(suite, "properties"), "property", name="checked", value=self.header)
        for shape in shapes:
            results = grouped.get(shape, [])
            short = _short(shape)
            case = ET.SubElement(suite, "testcase", classname="shapes." + short.split(":", 1)[-1].split("-", 1)[0],
                                 name=short, time="0")
            if results and results[0].file:
                case.set("file", results[0].file)
                case.set("line", str(results[0].line))
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

    def lines(self) -> str:
        """One `file:line: message` line per problem, the way compilers and linters print them."""
        out = [_place(r) + ": " + _summary(r) for r in sorted(self.results, key=_by_place)]
        c = self.counts()
        out.append(("conforms" if self.conforms else "does not conform")
                   + f": {c['Violation']} violation(s), {c['Warning']} warning(s)")
        return "\n".join(out)

    def github(self) -> str:
        """GitHub Actions workflow commands: each problem annotates its file and line in the run
        and in the pull request."""
        out = []
        for r in sorted(self.results, key=_by_place):
            level = {"Violation": "error", "Warning": "warning"}.get(r.severity, "notice")
            props = {"file": r.file, "line": str(r.line) if r.file and r.line else "", "title": _short(r.source_shape)}
            head = ",".join(f"{k}={_gh_property(v)}" for k, v in props.items() if v)
            out.append(f"::{level} {head}::{_gh_data(_summary(r))}")
        c = self.counts()
        out.append(f"fkgraph: {c['Violation']} violation(s), {c['Warning']} warning(s)")
        return "\n".join(out)

    def sarif(self) -> str:
        """SARIF 2.1.0: one rule per shape (its English and Danish message), results located in the
        data files."""
        from fkgraph import __version__

        rules = sorted({s.iri for s in self.shapes} | {r.source_shape for r in self.results})
        index = {iri: i for i, iri in enumerate(rules)}
        driver = {"name": "fkgraph", "version": __version__, "informationUri": "https://w3id.org/fkgraph/",
                  "rules": [_sarif_rule(iri, self._shape_message(iri), self._shape_message(iri, "da")) for iri in rules]}
        results = [_sarif_result(r, index[r.source_shape]) for r in sorted(self.results, key=_by_place)]
        run = {"tool": {"driver": driver}, "results": results,
               "invocations": [{"executionSuccessful": True, "endTimeUtc": self.timestamp + "Z"}]}
        doc = {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": [run]}
        return json.dumps(doc, ensure_ascii=False, indent=2)

    def render(self, fmt: str = "text") -> str:
        """One of FORMATS."""
        try:
            out = {"text": self.text, "lines": self.lines, "json": self.json, "turtle": self.turtle,
                   "junit": self.junit, "github": self.github, "sarif": self.sarif}[fmt]()
        except KeyError:
            raise UsageError(f"unknown report format {fmt!r}; use one of: {', '.join(FORMATS)}") from None
        if self.header and fmt in ("text", "lines"):
            out = f"{self.header}\n{out}"
        return out


def _relative(file, home) -> str:
    """`file` relative to `home` when inside it, as the forge and the editor show paths."""
    file = Path(str(file))
    try:
        return file.resolve().relative_to(Path(home).resolve()).as_posix() if home else str(file)
    except ValueError:
        return str(file)


def _by_place(r: Result) -> tuple:
    return (r.file == "", r.file, r.line, r.source_shape, r.focus, r.path, r.value)


def _place(r: Result) -> str:
    if r.file:
        return f"{r.file}:{r.line or 1}"
    return f"<{r.focus}>" if r.focus else "(graph)"


def _summary(r: Result) -> str:
    """The problem in one line: field, message, the value, the shape and the focus node."""
    msg = " ".join((r.message or "").split())
    parts = [f"{r.field}: {msg}" if r.field else msg]
    if r.value:
        parts.append(f"(value: {r.value_label or _short(r.value)})")
    if r.component != RECORDS:
        focus = r.focus_label or _short(r.focus)
        parts.append(f"[{_short(r.source_shape)} on {focus}]" if focus else f"[{_short(r.source_shape)}]")
    return " ".join(p for p in parts if p)


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def _sarif_rule(iri: str, message: str, message_da: str) -> dict:
    short = _short(iri)
    text = message or ("A source record that cannot be read or checked" if iri.startswith(RECORDS) else short)
    rule = {"id": short, "name": short.replace(":", "_").replace("/", "_"), "shortDescription": {"text": text},
            "defaultConfiguration": {"level": "error"}}
    if iri.startswith("http"):
        rule["helpUri"] = iri
    if message_da:
        rule["fullDescription"] = {"text": f"{text} / {message_da}"}
        rule["properties"] = {"message_da": message_da}
    return rule


def _sarif_result(r: Result, rule_index: int) -> dict:
    level = {"Violation": "error", "Warning": "warning"}.get(r.severity, "note")
    out = {"ruleId": _short(r.source_shape), "ruleIndex": rule_index, "level": level,
           "message": {"text": _summary(r)}}
    if r.file:
        out["locations"] = [{"physicalLocation": {"artifactLocation": {"uri": r.file},
                                                  "region": {"startLine": max(r.line, 1)}}}]
    props = {k: v for k, v in (("focusNode", r.focus), ("path", r.path), ("value", r.value),
                               ("field", r.field), ("message_da", r.message_da)) if v}
    if props:
        out["properties"] = props
    return out


def _result_line(r: Result) -> str:
    if r.component == RECORDS:
        return f"{_place(r)}: {_summary(r)}"
    focus = f"{r.focus_label} <{r.focus}>" if r.focus_label else f"<{r.focus}>"
    path = f" {_short(r.path)}" if r.path else ""
    value = f" = {r.value_label or r.value}" if r.value else ""
    where = "; ".join(x for x in (f"{r.file}:{r.line}" if r.file else r.record, r.where) if x)
    return f"{r.severity}: {focus}{path}{value}: {r.message}" + (f" [{where}]" if where else "")


def _iri(iri: str) -> str:
    if iri.startswith("_:"):
        return iri
    return f"<{iri}>"


def _short(iri: str) -> str:
    return compact(iri, {**PREFIXES, "fksh": FKSH, "sh": SH}) or iri
