"""HTML documentation of the ontology and its shapes (`fkgraph docs --output DIR`).

Rendered from ontology/fk.ttl and ontology/shapes.ttl with one Jinja2 template
(templates/ontology-docs.html), so the page says exactly what the files say, in Danish and
English side by side: the ontology header, every class and property (labels, definitions,
domain, range, place under the standard terms, alignments), the SKOS concept schemes, and the
shapes that check each class. `fkgraph site` puts the same page under ontology/.

pyLODE was tried: 3.3.4 runs on Python 3.11, but it reads each skos:ConceptScheme as a second
ontology header and mixes the schemes' labels into the title, so fkgraph renders its own page.

Anything the page cannot say well (a term without a label or definition in both languages, a
link to an fk: term that is not declared) is returned as a warning; `fkgraph docs` fails on
warnings, so CI keeps the documentation complete.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from fkgraph import fsio
from fkgraph.errors import UsageError
from fkgraph.rdf.terms import FK
from fkgraph.shacl.report import FKSH

ONTOLOGY_IRI = "https://w3id.org/fkgraph/ontology"

KNOWN = {
    "fk": FK, "fksh": FKSH,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#", "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#", "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#", "org": "http://www.w3.org/ns/org#", "foaf": "http://xmlns.com/foaf/0.1/",
    "eli": "http://data.europa.eu/eli/ontology#", "sh": "http://www.w3.org/ns/shacl#",
    "vann": "http://purl.org/vocab/vann/", "cdm": "http://publications.europa.eu/ontology/cdm#",
    "akn": "http://docs.oasis-open.org/legaldocml/ns/akn/3.0#",
}


class DocsError(UsageError):
    """The documentation cannot be written (unreadable ontology, output not a folder)."""


@dataclass
class Docs:
    """What `build_docs` wrote, and what it could not say well."""

    files: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def build_docs(output: str | os.PathLike, ontology: str | os.PathLike | None = None,
               shapes: str | os.PathLike | None = None) -> Docs:
    """Write OUTPUT/index.html (with fk.ttl and shapes.ttl beside it for download).

    The files are written whole or not at all: staged in a folder next to OUTPUT, then moved over
    their namesakes in OUTPUT (its other files stay).
    """
    from fkgraph import config

    ontology = Path(ontology) if ontology else config.ontology_file()
    shapes = Path(shapes) if shapes else config.shapes_file()
    out = Path(output)
    if out.exists() and not out.is_dir():
        raise DocsError(f"{out}: exists and is not a folder; give a folder for --output")
    model = _model(ontology, shapes)
    html = _render(model)

    with fsio.staged_folder(out, whole=False) as staged:
        (staged / "index.html").write_text(html, encoding="utf-8")
        shutil.copyfile(ontology, staged / "fk.ttl")
        shutil.copyfile(shapes, staged / "shapes.ttl")
        files = [out / f.name for f in sorted(staged.iterdir())]
    return Docs(files=files, warnings=model["warnings"])


# ---- reading the ontology ----------------------------------------------------------------------

def _model(ontology: Path, shapes: Path) -> dict:
    """What the page shows, read from the two files; `warnings` lists what it cannot say well."""
    import rdflib
    from rdflib import OWL, RDF, SKOS

    try:
        g = rdflib.Graph().parse(ontology, format="turtle")
        sg = rdflib.Graph().parse(shapes, format="turtle")
    except Exception as e:  # rdflib raises several unrelated types for bad Turtle
        raise DocsError(f"cannot read the ontology or shapes: {e}") from None
    r = _Reader(g, ontology.name)
    if (r.ont, RDF.type, OWL.Ontology) not in g:
        raise DocsError(f"{ontology}: no owl:Ontology {ONTOLOGY_IRI}")
    classes = [r.term(s, "class") for s in r.fk_terms(OWL.Class)]
    objprops = [r.term(s, "object property") for s in r.fk_terms(OWL.ObjectProperty)]
    dataprops = [r.term(s, "datatype property") for s in r.fk_terms(OWL.DatatypeProperty)]
    for c in classes:
        r.properties_of(c)
    schemes = [r.scheme(s) for s in r.fk_terms(SKOS.ConceptScheme)]
    declared_ids = {t["id"] for t in classes + objprops + dataprops + schemes} | {c["id"] for s in schemes for c in s["concepts"]}
    for s in r.declared:
        if str(s)[len(FK):] not in declared_ids:
            r.warnings.append(f"{r.curie(s)} is declared but is neither a class, a property, a scheme nor a concept")
    shapes_out = _shapes(sg, r)
    for c in classes:
        c["shapes"] = [{"id": s["id"], "anchor": s["anchor"]} for s in shapes_out
                       if any(t.get("href") == "#" + c["id"] for t in s["targets"])]
    header = r.header()
    return {"header": header, "classes": classes, "objprops": objprops, "dataprops": dataprops,
            "schemes": schemes, "shapes": shapes_out, "namespaces": sorted(KNOWN.items()),
            "warnings": sorted(set(r.warnings))}


class _Reader:
    """The ontology graph as the page's entries, noting each gap as a warning."""

    def __init__(self, g, name: str):
        import rdflib
        from rdflib import RDF

        self.g, self.name, self.warnings = g, name, []
        self.ont = rdflib.URIRef(ONTOLOGY_IRI)
        self.declared = {s for s in g.subjects(RDF.type, None) if str(s).startswith(FK)}

    def langs(self, s, p) -> dict[str, str]:
        out = {}
        for o in self.g.objects(s, p):
            out.setdefault(getattr(o, "language", None) or "", str(o))
        return out

    @staticmethod
    def curie(iri) -> str:
        iri = str(iri)
        for p, ns in KNOWN.items():
            if iri.startswith(ns) and len(iri) > len(ns):
                return f"{p}:{iri[len(ns):]}"
        return iri

    def link(self, iri) -> dict:
        """A reference: fk: terms link inside the page, others to their IRI."""
        import rdflib
        from rdflib import OWL

        if isinstance(iri, rdflib.BNode):
            members = self.g.value(iri, OWL.unionOf)
            if members is not None:
                return {"union": [self.link(m) for m in rdflib.collection.Collection(self.g, members)]}
            return {"text": "(anonymous)", "href": None}
        s = str(iri)
        if s.startswith(FK):
            if iri not in self.declared:
                self.warnings.append(f"{self.curie(iri)} is referred to but not declared in {self.name}")
            return {"text": self.curie(iri), "href": "#" + s[len(FK):]}
        return {"text": self.curie(iri), "href": s}

    def both_languages(self, s, *pairs: tuple[str, dict]) -> None:
        for what, value in pairs:
            for lang in ("da", "en"):
                if not value.get(lang):
                    self.warnings.append(f"{self.curie(s)} has no {what} in {lang}")

    def term(self, s, kind: str) -> dict:
        from rdflib import RDFS, SKOS

        g, link = self.g, self.link
        label, definition, comment = self.langs(s, RDFS.label), self.langs(s, SKOS.definition), self.langs(s, RDFS.comment)
        self.both_languages(s, ("rdfs:label", label), ("skos:definition", definition))
        if (s, RDFS.isDefinedBy, self.ont) not in g:
            self.warnings.append(f"{self.curie(s)} has no rdfs:isDefinedBy {ONTOLOGY_IRI}")
        return {
            "id": str(s)[len(FK):], "iri": str(s), "curie": self.curie(s), "kind": kind,
            "label": label, "definition": definition, "comment": comment,
            "super": [link(o) for o in sorted(g.objects(s, RDFS.subClassOf)) + sorted(g.objects(s, RDFS.subPropertyOf))],
            "domain": [link(o) for o in g.objects(s, RDFS.domain)],
            "range": [link(o) for o in g.objects(s, RDFS.range)],
            "close": [link(o) for o in sorted(g.objects(s, SKOS.closeMatch))],
            "see": [link(o) for o in sorted(g.objects(s, RDFS.seeAlso))],
        }

    def fk_terms(self, cls) -> list:
        from rdflib import RDF

        return sorted((s for s in self.g.subjects(RDF.type, cls) if str(s).startswith(FK)), key=lambda s: str(s).lower())

    def properties_of(self, c: dict) -> None:
        """The domain/range index of a class: which properties describe it, which take it as value."""
        import rdflib
        from rdflib import OWL, RDFS

        g = self.g

        def members(node) -> list:
            if isinstance(node, rdflib.BNode) and g.value(node, OWL.unionOf) is not None:
                return list(rdflib.collection.Collection(g, g.value(node, OWL.unionOf)))
            return [node]
        iri = rdflib.URIRef(c["iri"])
        c["properties"] = [self.link(p) for p in sorted(set(g.subjects(RDFS.domain, None)))
                           if any(m == iri for d in g.objects(p, RDFS.domain) for m in members(d))]
        c["used_by"] = [self.link(p) for p in sorted(set(g.subjects(RDFS.range, iri)))]

    def scheme(self, s) -> dict:
        from rdflib import SKOS

        entry = self.term(s, "concept scheme")
        concepts = []
        for c in sorted(self.g.subjects(SKOS.inScheme, s), key=lambda c: str(c)):
            pref, definition = self.langs(c, SKOS.prefLabel), self.langs(c, SKOS.definition)
            self.both_languages(c, ("skos:prefLabel", pref), ("skos:definition", definition))
            concepts.append({"id": str(c)[len(FK):], "curie": self.curie(c),
                             "notation": str(self.g.value(c, SKOS.notation) or ""), "pref": pref, "definition": definition})
        if not concepts:
            self.warnings.append(f"{self.curie(s)} has no concepts")
        entry["concepts"] = concepts
        return entry

    def header(self) -> dict:
        from rdflib import OWL, Namespace

        g, ont = self.g, self.ont
        DCT, VANN = Namespace(KNOWN["dcterms"]), Namespace(KNOWN["vann"])
        header = {
            "iri": ONTOLOGY_IRI, "title": self.langs(ont, DCT.title), "description": self.langs(ont, DCT.description),
            "version_iri": str(g.value(ont, OWL.versionIRI) or ""), "version": str(g.value(ont, OWL.versionInfo) or ""),
            "created": str(g.value(ont, DCT.created) or ""), "modified": str(g.value(ont, DCT.modified) or ""),
            "creator": [str(o) for o in g.objects(ont, DCT.creator)], "license": str(g.value(ont, DCT.license) or ""),
            "prefix": str(g.value(ont, VANN.preferredNamespacePrefix) or ""),
            "namespace": str(g.value(ont, VANN.preferredNamespaceUri) or ""),
        }
        for key in ("version_iri", "version", "created", "modified", "license", "prefix", "namespace"):
            if not header[key]:
                self.warnings.append(f"the ontology header has no {key.replace('_', ' ')}")
        for key in ("title", "description"):
            for lang in ("da", "en"):
                if not header[key].get(lang):
                    self.warnings.append(f"the ontology header has no {key} in {lang}")
        return header


# ---- reading the shapes --------------------------------------------------------------------------

def _shapes(sg, r: _Reader) -> list[dict]:
    """Each node shape: its targets (linked into the page), constraints, messages and SPARQL rules."""
    from rdflib import RDF, Namespace

    SH = Namespace(KNOWN["sh"])

    def msgs(node) -> dict:
        out = {}
        for m in sg.objects(node, SH.message):
            out.setdefault(m.language or "", str(m))
        return out

    out = []
    for s in sorted(set(sg.subjects(RDF.type, SH.NodeShape)), key=str):
        targets = [r.link(t) for t in sg.objects(s, SH.targetClass)]
        props = []
        for p in sorted(sg.objects(s, SH.property), key=str):
            props.append({"id": r.curie(p), "path": _path_text(sg, sg.value(p, SH.path)),
                          "constraints": _constraint_text(sg, p), "message": msgs(p)})
        rules = [{"message": msgs(c), "select": str(sg.value(c, SH.select) or "").strip("\n")}
                 for c in sg.objects(s, SH.sparql)]
        out.append({"id": r.curie(s), "anchor": "shape-" + str(s).rsplit("#", 1)[-1], "targets": targets,
                    "constraints": _constraint_text(sg, s), "message": msgs(s), "properties": props, "rules": rules})
    return out


def _path_text(sg, p) -> str:
    import rdflib

    SH = rdflib.Namespace(KNOWN["sh"])
    if isinstance(p, rdflib.BNode):
        inner = sg.value(p, SH.oneOrMorePath)
        if inner is not None:
            return _Reader.curie(inner) + "+"
        inner = sg.value(p, SH.inversePath)
        if inner is not None:
            return "^" + _Reader.curie(inner)
        return "(path)"
    return _Reader.curie(p)


def _constraint_text(sg, shape) -> str:
    import rdflib

    SH, curie = rdflib.Namespace(KNOWN["sh"]), _Reader.curie
    bits = []
    lo, hi = sg.value(shape, SH.minCount), sg.value(shape, SH.maxCount)
    if lo is not None or hi is not None:
        bits.append(f"[{lo if lo is not None else 0}..{hi if hi is not None else '*'}]")
    for p, name in ((SH.datatype, "datatype"), (SH["class"], "class"), (SH.nodeKind, "node kind"),
                    (SH.pattern, "pattern"), (SH.minInclusive, "≥"), (SH.lessThanOrEquals, "≤"),
                    (SH.hasValue, "=")):
        for o in sg.objects(shape, p):
            bits.append(f"{name} {curie(o) if isinstance(o, rdflib.URIRef) else o}")
    for o in sg.objects(shape, SH["in"]):
        bits.append("one of " + ", ".join(curie(x) for x in rdflib.collection.Collection(sg, o)))
    for o in sg.objects(shape, SH.languageIn):
        bits.append("language " + ", ".join(str(x) for x in rdflib.collection.Collection(sg, o)))
    if sg.value(shape, SH.uniqueLang) is not None:
        bits.append("one per language")
    if sg.value(shape, SH.qualifiedMinCount) is not None:
        bits.append(f"at least {sg.value(shape, SH.qualifiedMinCount)} matching a nested shape")
    if sg.value(shape, SH["or"]) is not None:
        bits.append("one of several alternatives (sh:or)")
    return "; ".join(bits)


# ---- the page ----------------------------------------------------------------------------------

def _render(model: dict) -> str:
    """templates/ontology-docs.html, filled in (a page of its own: it does not use the site's base.html)."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("fkgraph.publishing", "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True)
    return env.get_template("ontology-docs.html").render(**model)
