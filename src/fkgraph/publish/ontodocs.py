"""HTML documentation of the ontology and its shapes (`fkgraph docs --output DIR`).

Rendered from ontology/fk.ttl and ontology/shapes.ttl with one Jinja2 template, so the page
says exactly what the files say, in Danish and English side by side: the ontology header,
every class and property (labels, definitions, domain, range, place under the standard terms,
alignments), the SKOS concept schemes, and the shapes that check each class.

pyLODE was tried: 3.3.4 runs on Python 3.11, but it reads each skos:ConceptScheme as a second
ontology header and mixes the schemes' labels into the title, so fkgraph renders its own page.

Anything the page cannot say well (a term without a label or definition in both languages, a
link to an fk: term that is not declared) is returned as a warning; `fkgraph docs` fails on
warnings, so CI keeps the documentation complete.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

FK = "https://w3id.org/fkgraph/ontology#"
FKSH = "https://w3id.org/fkgraph/shapes#"
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


class DocsError(ValueError):
    """The documentation cannot be written (unreadable ontology, output not a folder)."""


@dataclass
class Docs:
    """What `build_docs` wrote, and what it could not say well."""

    files: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def build_docs(output: str | os.PathLike, ontology: str | os.PathLike | None = None,
               shapes: str | os.PathLike | None = None) -> Docs:
    """Write OUTPUT/index.html (with fk.ttl and shapes.ttl beside it for download).

    The folder is written whole or not at all: the pages are rendered into a temporary folder
    next to OUTPUT, which then replaces OUTPUT's files.
    """
    from fkgraph import config

    ontology = Path(ontology) if ontology else config.ontology_file()
    shapes = Path(shapes) if shapes else config.shapes_file()
    out = Path(output)
    if out.exists() and not out.is_dir():
        raise DocsError(f"{out}: exists and is not a folder; give a folder for --output")
    model = _model(ontology, shapes)
    html = _render(model)

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        (tmp / "index.html").write_text(html, encoding="utf-8")
        shutil.copyfile(ontology, tmp / "fk.ttl")
        shutil.copyfile(shapes, tmp / "shapes.ttl")
        out.mkdir(exist_ok=True)
        files = []
        for f in sorted(tmp.iterdir()):
            os.replace(f, out / f.name)
            files.append(out / f.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return Docs(files=files, warnings=model["warnings"])


# ---- reading the ontology ----------------------------------------------------------------------

def _model(ontology: Path, shapes: Path) -> dict:
    import rdflib
    from rdflib import OWL, RDF, RDFS, SKOS, Namespace

    try:
        g = rdflib.Graph().parse(ontology, format="turtle")
        sg = rdflib.Graph().parse(shapes, format="turtle")
    except Exception as e:  # rdflib raises several unrelated types for bad Turtle
        raise DocsError(f"cannot read the ontology or shapes: {e}") from None
    DCT, VANN, SH = Namespace(KNOWN["dcterms"]), Namespace(KNOWN["vann"]), Namespace(KNOWN["sh"])
    warnings: list[str] = []
    ont = rdflib.URIRef(ONTOLOGY_IRI)
    if (ont, RDF.type, OWL.Ontology) not in g:
        raise DocsError(f"{ontology}: no owl:Ontology {ONTOLOGY_IRI}")

    def langs(s, p) -> dict[str, str]:
        out = {}
        for o in g.objects(s, p):
            out.setdefault(getattr(o, "language", None) or "", str(o))
        return out

    def curie(iri) -> str:
        iri = str(iri)
        for p, ns in KNOWN.items():
            if iri.startswith(ns) and len(iri) > len(ns):
                return f"{p}:{iri[len(ns):]}"
        return iri

    declared = {s for s in g.subjects(RDF.type, None) if str(s).startswith(FK)}

    def link(iri) -> dict:
        """A reference: fk: terms link inside the page, others to their IRI."""
        if isinstance(iri, rdflib.BNode):
            members = g.value(iri, OWL.unionOf)
            if members is not None:
                return {"union": [link(m) for m in rdflib.collection.Collection(g, members)]}
            return {"text": "(anonymous)", "href": None}
        s = str(iri)
        if s.startswith(FK):
            if iri not in declared:
                warnings.append(f"{curie(iri)} is referred to but not declared in {ontology.name}")
            return {"text": curie(iri), "href": "#" + s[len(FK):]}
        return {"text": curie(iri), "href": s}

    def term(s, kind: str) -> dict:
        label, definition, comment = langs(s, RDFS.label), langs(s, SKOS.definition), langs(s, RDFS.comment)
        for what, value in (("rdfs:label", label), ("skos:definition", definition)):
            for lang in ("da", "en"):
                if not value.get(lang):
                    warnings.append(f"{curie(s)} has no {what} in {lang}")
        if (s, RDFS.isDefinedBy, ont) not in g:
            warnings.append(f"{curie(s)} has no rdfs:isDefinedBy {ONTOLOGY_IRI}")
        return {
            "id": str(s)[len(FK):], "iri": str(s), "curie": curie(s), "kind": kind,
            "label": label, "definition": definition, "comment": comment,
            "super": [link(o) for o in sorted(g.objects(s, RDFS.subClassOf)) + sorted(g.objects(s, RDFS.subPropertyOf))],
            "domain": [link(o) for o in g.objects(s, RDFS.domain)],
            "range": [link(o) for o in g.objects(s, RDFS.range)],
            "close": [link(o) for o in sorted(g.objects(s, SKOS.closeMatch))],
            "see": [link(o) for o in sorted(g.objects(s, RDFS.seeAlso))],
        }

    def fk_terms(cls) -> list:
        return sorted((s for s in g.subjects(RDF.type, cls) if str(s).startswith(FK)), key=lambda s: str(s).lower())

    classes = [term(s, "class") for s in fk_terms(OWL.Class)]
    objprops = [term(s, "object property") for s in fk_terms(OWL.ObjectProperty)]
    dataprops = [term(s, "datatype property") for s in fk_terms(OWL.DatatypeProperty)]

    # domain/range index: which properties describe each class
    def members(node) -> list:
        if isinstance(node, rdflib.BNode) and g.value(node, OWL.unionOf) is not None:
            return list(rdflib.collection.Collection(g, g.value(node, OWL.unionOf)))
        return [node]
    for c in classes:
        iri = rdflib.URIRef(c["iri"])
        c["properties"] = [link(p) for p in sorted(set(g.subjects(RDFS.domain, None)))
                           if any(m == iri for d in g.objects(p, RDFS.domain) for m in members(d))]
        c["used_by"] = [link(p) for p in sorted(set(g.subjects(RDFS.range, iri)))]

    schemes = []
    for s in fk_terms(SKOS.ConceptScheme):
        entry = term(s, "concept scheme")
        concepts = []
        for c in sorted(g.subjects(SKOS.inScheme, s), key=lambda c: str(c)):
            pref, definition = langs(c, SKOS.prefLabel), langs(c, SKOS.definition)
            for what, value in (("skos:prefLabel", pref), ("skos:definition", definition)):
                for lang in ("da", "en"):
                    if not value.get(lang):
                        warnings.append(f"{curie(c)} has no {what} in {lang}")
            concepts.append({"id": str(c)[len(FK):], "curie": curie(c), "notation": str(g.value(c, SKOS.notation) or ""),
                             "pref": pref, "definition": definition})
        if not concepts:
            warnings.append(f"{curie(s)} has no concepts")
        entry["concepts"] = concepts
        schemes.append(entry)
    declared_ids = {t["id"] for t in classes + objprops + dataprops + schemes} | {c["id"] for s in schemes for c in s["concepts"]}
    for s in declared:
        if str(s)[len(FK):] not in declared_ids:
            warnings.append(f"{curie(s)} is declared but is neither a class, a property, a scheme nor a concept")

    # shapes, by target class
    def path_text(p) -> str:
        if isinstance(p, rdflib.BNode):
            inner = sg.value(p, SH.oneOrMorePath)
            if inner is not None:
                return curie(inner) + "+"
            inner = sg.value(p, SH.inversePath)
            if inner is not None:
                return "^" + curie(inner)
            return "(path)"
        return curie(p)

    def constraint_text(shape) -> str:
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

    def msgs(node) -> dict:
        out = {}
        for m in sg.objects(node, SH.message):
            out.setdefault(m.language or "", str(m))
        return out

    shapes_out = []
    for s in sorted(set(sg.subjects(RDF.type, SH.NodeShape)), key=str):
        targets = [link(t) for t in sg.objects(s, SH.targetClass)]
        props = []
        for p in sorted(sg.objects(s, SH.property), key=str):
            props.append({"id": curie(p), "path": path_text(sg.value(p, SH.path)),
                          "constraints": constraint_text(p), "message": msgs(p)})
        rules = [{"message": msgs(c), "select": str(sg.value(c, SH.select) or "").strip("\n")}
                 for c in sg.objects(s, SH.sparql)]
        shapes_out.append({"id": curie(s), "anchor": "shape-" + str(s).rsplit("#", 1)[-1], "targets": targets,
                           "constraints": constraint_text(s), "message": msgs(s), "properties": props, "rules": rules})
    for c in classes:
        c["shapes"] = [{"id": s["id"], "anchor": s["anchor"]} for s in shapes_out
                       if any(t.get("href") == "#" + c["id"] for t in s["targets"])]

    header = {
        "iri": ONTOLOGY_IRI, "title": langs(ont, DCT.title), "description": langs(ont, DCT.description),
        "version_iri": str(g.value(ont, OWL.versionIRI) or ""), "version": str(g.value(ont, OWL.versionInfo) or ""),
        "created": str(g.value(ont, DCT.created) or ""), "modified": str(g.value(ont, DCT.modified) or ""),
        "creator": [str(o) for o in g.objects(ont, DCT.creator)], "license": str(g.value(ont, DCT.license) or ""),
        "prefix": str(g.value(ont, VANN.preferredNamespacePrefix) or ""),
        "namespace": str(g.value(ont, VANN.preferredNamespaceUri) or ""),
    }
    for key in ("version_iri", "version", "created", "modified", "license", "prefix", "namespace"):
        if not header[key]:
            warnings.append(f"the ontology header has no {key.replace('_', ' ')}")
    for key in ("title", "description"):
        for lang in ("da", "en"):
            if not header[key].get(lang):
                warnings.append(f"the ontology header has no {key} in {lang}")
    return {"header": header, "classes": classes, "objprops": objprops, "dataprops": dataprops,
            "schemes": schemes, "shapes": shapes_out, "namespaces": sorted(KNOWN.items()),
            "warnings": sorted(set(warnings))}


# ---- the page ----------------------------------------------------------------------------------

def _render(model: dict) -> str:
    import jinja2

    env = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    return env.from_string(TEMPLATE).render(**model)


TEMPLATE = r"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ header.title.en }}</title>
<link rel="alternate" type="text/turtle" href="fk.ttl">
<style>
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 72rem; padding: 1rem 2rem; line-height: 1.45; color: #222; }
h1 { font-size: 1.6rem; } h2 { border-bottom: 2px solid #246; margin-top: 2.5rem; } h3 { margin-bottom: .2rem; }
.term { border-left: 4px solid #8ab; padding: .2rem 1rem; margin: 1.5rem 0; }
.iri, code { font-family: ui-monospace, monospace; font-size: .9em; }
.da { color: #5a3a00; } .lang { font-size: .75em; color: #777; margin-right: .3em; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; } td, th { border: 1px solid #ccd; padding: .25rem .5rem; vertical-align: top; text-align: left; }
th { background: #eef2f6; } dl { display: grid; grid-template-columns: 12rem 1fr; gap: .2rem 1rem; } dt { font-weight: 600; } dd { margin: 0; }
pre { background: #f6f8fa; padding: .5rem; overflow-x: auto; font-size: .85em; } nav ul { columns: 3; }
</style>
</head>
<body>
{% macro ref(r) %}{% if r.union is defined %}{% for m in r.union %}{{ ref(m) }}{% if not loop.last %} or {% endif %}{% endfor %}{% elif r.href %}<a href="{{ r.href }}"><code>{{ r.text }}</code></a>{% else %}<code>{{ r.text }}</code>{% endif %}{% endmacro %}
{% macro both(d) %}{% if d.en %}<span class="lang">en</span><span lang="en">{{ d.en }}</span>{% endif %}{% if d.da %}<br><span class="lang">da</span><span lang="da" class="da">{{ d.da }}</span>{% endif %}{% endmacro %}
<header>
<h1 lang="en">{{ header.title.en }}</h1>
<p lang="da" class="da"><strong>{{ header.title.da }}</strong></p>
<dl>
<dt>IRI</dt><dd class="iri">{{ header.iri }}</dd>
<dt>Version</dt><dd>{{ header.version }} (<span class="iri">{{ header.version_iri }}</span>)</dd>
<dt>Created / modified</dt><dd>{{ header.created }} / {{ header.modified }}</dd>
<dt>Creator</dt><dd>{{ header.creator | join(", ") }}</dd>
<dt>Licence</dt><dd><a href="{{ header.license }}">{{ header.license }}</a></dd>
<dt>Preferred prefix</dt><dd><code>{{ header.prefix }}:</code> <span class="iri">{{ header.namespace }}</span></dd>
<dt>Download</dt><dd><a href="fk.ttl">fk.ttl</a> (ontology, Turtle) · <a href="shapes.ttl">shapes.ttl</a> (SHACL shapes)</dd>
</dl>
<p>{{ both(header.description) }}</p>
</header>
<nav>
<h2>Contents</h2>
<ul>
<li><a href="#classes">Classes</a> ({{ classes | length }})</li>
<li><a href="#object-properties">Object properties</a> ({{ objprops | length }})</li>
<li><a href="#datatype-properties">Datatype properties</a> ({{ dataprops | length }})</li>
<li><a href="#schemes">Concept schemes</a> ({{ schemes | length }})</li>
<li><a href="#shapes">Shapes</a> ({{ shapes | length }})</li>
<li><a href="#namespaces">Namespaces</a></li>
</ul>
</nav>
{% macro termblock(t) %}
<section class="term" id="{{ t.id }}">
<h3>{{ t.label.en }} <span class="da" lang="da">/ {{ t.label.da }}</span></h3>
<p class="iri">{{ t.iri }} · {{ t.kind }}</p>
<p>{{ both(t.definition) }}</p>
<table>
{% if t.super %}<tr><th>Sub{{ "class" if t.kind == "class" else "property" }} of</th><td>{% for r in t.super %}{{ ref(r) }}{% if not loop.last %}, {% endif %}{% endfor %}</td></tr>{% endif %}
{% if t.domain %}<tr><th>Domain</th><td>{% for r in t.domain %}{{ ref(r) }}{% endfor %}</td></tr>{% endif %}
{% if t.range %}<tr><th>Range</th><td>{% for r in t.range %}{{ ref(r) }}{% endfor %}</td></tr>{% endif %}
{% if t.properties is defined and t.properties %}<tr><th>Properties</th><td>{% for r in t.properties %}{{ ref(r) }}{% if not loop.last %}, {% endif %}{% endfor %}</td></tr>{% endif %}
{% if t.used_by is defined and t.used_by %}<tr><th>Value of</th><td>{% for r in t.used_by %}{{ ref(r) }}{% if not loop.last %}, {% endif %}{% endfor %}</td></tr>{% endif %}
{% if t.shapes is defined and t.shapes %}<tr><th>Checked by</th><td>{% for s in t.shapes %}<a href="#{{ s.anchor }}"><code>{{ s.id }}</code></a>{% if not loop.last %}, {% endif %}{% endfor %}</td></tr>{% endif %}
{% if t.close %}<tr><th>Close match</th><td>{% for r in t.close %}{{ ref(r) }}{% if not loop.last %}, {% endif %}{% endfor %}</td></tr>{% endif %}
{% if t.see %}<tr><th>See also</th><td>{% for r in t.see %}{{ ref(r) }}{% if not loop.last %}, {% endif %}{% endfor %}</td></tr>{% endif %}
</table>
{% if t.comment %}<p>{{ both(t.comment) }}</p>{% endif %}
</section>
{% endmacro %}
<h2 id="classes">Classes</h2>
{% for t in classes %}{{ termblock(t) }}{% endfor %}
<h2 id="object-properties">Object properties</h2>
{% for t in objprops %}{{ termblock(t) }}{% endfor %}
<h2 id="datatype-properties">Datatype properties</h2>
{% for t in dataprops %}{{ termblock(t) }}{% endfor %}
<h2 id="schemes">Concept schemes</h2>
{% for s in schemes %}
<section class="term" id="{{ s.id }}">
<h3>{{ s.label.en }} <span class="da" lang="da">/ {{ s.label.da }}</span></h3>
<p class="iri">{{ s.iri }} · skos:ConceptScheme</p>
<p>{{ both(s.definition) }}</p>
<table>
<tr><th>Concept</th><th>Notation</th><th>English</th><th>Dansk</th></tr>
{% for c in s.concepts %}
<tr id="{{ c.id }}"><td><code>{{ c.curie }}</code></td><td>{{ c.notation }}</td>
<td><strong>{{ c.pref.en }}</strong><br>{{ c.definition.en }}</td>
<td lang="da" class="da"><strong>{{ c.pref.da }}</strong><br>{{ c.definition.da }}</td></tr>
{% endfor %}
</table>
</section>
{% endfor %}
<h2 id="shapes">Shapes</h2>
<p>The SHACL shapes of <a href="shapes.ttl">shapes.ttl</a> that <code>fkgraph build</code> and <code>fkgraph validate</code> check the data against.</p>
{% for s in shapes %}
<section class="term" id="{{ s.anchor }}">
<h3><code>{{ s.id }}</code></h3>
<p>Targets: {% for r in s.targets %}{{ ref(r) }}{% if not loop.last %}, {% endif %}{% endfor %}{% if s.constraints %} · {{ s.constraints }}{% endif %}</p>
<p>{{ both(s.message) }}</p>
{% if s.properties %}
<table>
<tr><th>Property shape</th><th>Path</th><th>Constraints</th><th>Message</th></tr>
{% for p in s.properties %}
<tr><td><code>{{ p.id }}</code></td><td><code>{{ p.path }}</code></td><td>{{ p.constraints }}</td><td>{{ both(p.message) }}</td></tr>
{% endfor %}
</table>
{% endif %}
{% for r in s.rules %}
<p>{{ both(r.message) }}</p>
<pre>{{ r.select }}</pre>
{% endfor %}
</section>
{% endfor %}
<h2 id="namespaces">Namespaces</h2>
<table>
{% for p, ns in namespaces %}<tr><td><code>{{ p }}:</code></td><td class="iri">{{ ns }}</td></tr>{% endfor %}
</table>
</body>
</html>
"""
