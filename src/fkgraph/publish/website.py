"""A static linked-data site: one HTML page per network, trial, municipality, statute, provision
and programme, with its Turtle and JSON-LD beside it, an index that answers the stored questions,
the dumps, the DCAT-AP and VoID descriptions and a content-negotiation recipe.

Page paths mirror IRI paths: `{base}id/trial/frikommune-ii/x` is `id/trial/frikommune-ii/x.html`
with `x.ttl` and `x.jsonld` beside it (the resource's Concise Bounded Description). A file per
IRI (rather than `x/index.html`) keeps the rewrite rule one line per format — `id/(path)` →
`id/(path).html|.ttl|.jsonld` — and lets a statute (`id/statute/lab.html`) and its provisions
(`id/statute/lab/p48.html`) live side by side. Every link is relative, so the site works from a
folder, from `file://` and from any host. Pages are plain HTML and CSS: no JavaScript.
"""
from __future__ import annotations

import html
import json
import os
import posixpath
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

import importlib

from fkgraph.sparql import queries as _queries
from fkgraph.rdf.graph import PREFIXES, Built

# `fkgraph.rdf.serialize` the attribute is the API function; the module is what this file needs.
_export = importlib.import_module("fkgraph.rdf.serialize")

FK = PREFIXES["fk"]
RDFS_LABEL = PREFIXES["rdfs"] + "label"
RDF_TYPE = PREFIXES["rdf"] + "type"

#: class → (page kind, Danish name, English name); the kinds that get a page of their own
KINDS = {
    FK + "Programme": ("programme", "Program", "Programme"),
    FK + "Network": ("network", "Frikommunenetværk", "Network"),
    FK + "Trial": ("trial", "Forsøg", "Trial"),
    FK + "Municipality": ("municipality", "Kommune", "Municipality"),
    PREFIXES["eli"] + "LegalResource": ("statute", "Lov eller bekendtgørelse", "Statute"),
    PREFIXES["eli"] + "LegalResourceSubdivision": ("provision", "Bestemmelse", "Provision"),
    FK + "SourceDocument": ("source", "Kilde", "Source"),
}
LIST_PAGES = {  # kind → (file, Danish title, English title)
    "network": ("networks.html", "Frikommunenetværk", "Networks"),
    "trial": ("trials.html", "Forsøg", "Trials"),
    "municipality": ("municipalities.html", "Kommuner", "Municipalities"),
    "statute": ("statutes.html", "Love og bestemmelser", "Statutes and provisions"),
    "source": ("sources.html", "Kilder", "Sources"),
}
CHART_QUERY = "most-exempted-statutes"


class SiteError(ValueError):
    """The site cannot be built as asked (bad URL, unreadable template)."""


@dataclass
class Page:
    iri: str
    kind: str
    path: str                      # relative to the site root, e.g. "id/trial/frikommune-ii/x.html"
    title: str = ""
    title_en: str = ""


@dataclass
class SiteReport:
    directory: Path
    pages: int
    resources: int
    publication: _export.Publication
    files: list[str] = field(default_factory=list)


def _jinja():
    import jinja2

    return jinja2.Environment(loader=jinja2.PackageLoader("fkgraph.publish", "templates"),
                              autoescape=jinja2.select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True,
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


class _Site:
    def __init__(self, built: Built, ontology: ox.Store | None):
        self.store = built.store
        self.base = built.base
        self.labels: dict[str, dict[str, str]] = {}
        for store in filter(None, (built.store, ontology)):
            for q in store.query("""PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
                    PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
                    SELECT ?s ?l WHERE { ?s rdfs:label|skos:prefLabel ?l FILTER(isIRI(?s)) }"""):
                self.labels.setdefault(q["s"].value, {}).setdefault(q["l"].language or "", q["l"].value)
        self.pages: dict[str, Page] = {}
        for cls, (kind, _, _) in KINDS.items():
            for q in self.store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), ox.NamedNode(cls), ox.DefaultGraph()):
                iri = q.subject.value
                if isinstance(q.subject, ox.NamedNode) and iri.startswith(self.base):
                    path = iri[len(self.base):] + ".html"
                    self.pages[iri] = Page(iri, kind, path, self.label(iri), self.label(iri, "en", fallback=False))

    # ---- labels and links -----------------------------------------------------------------------

    def label(self, iri: str, lang: str = "da", fallback: bool = True) -> str:
        found = self.labels.get(iri, {})
        if lang in found:
            return found[lang]
        if not fallback:
            return ""
        for other in ("da", "en", ""):
            if other in found:
                return found[other]
        return _export._compact(iri, PREFIXES) or iri

    def href(self, target: str, here: str) -> str:
        """A relative link from page `here` to site path `target`."""
        return posixpath.relpath(target, posixpath.dirname(here) or ".")

    def value(self, term, here: str) -> dict:
        """A term as the templates show it: text, optional link, optional language."""
        if isinstance(term, ox.Literal):
            return {"text": term.value, "lang": term.language or None, "href": None, "title": None}
        if isinstance(term, ox.BlankNode):
            return {"text": "[…]", "lang": None, "href": None, "title": None}
        page = self.pages.get(term.value)
        en = self.label(term.value, "en", fallback=False)
        return {"text": self.label(term.value), "lang": "da" if "da" in self.labels.get(term.value, {}) else None,
                "href": self.href(page.path, here) if page else (term.value if not term.value.startswith(self.base) else None),
                "title": en or term.value}

    def objects(self, s: str, p: str) -> list:
        return [q.object for q in self.store.quads_for_pattern(ox.NamedNode(s), ox.NamedNode(p), None, ox.DefaultGraph())]

    def subjects(self, p: str, o: str) -> list:
        return [q.subject for q in self.store.quads_for_pattern(None, ox.NamedNode(p), ox.NamedNode(o), ox.DefaultGraph())]

    def linked(self, nodes, here: str) -> list[dict]:
        return sorted((self.value(n, here) for n in set(nodes)), key=lambda v: v["text"].lower())

    # ---- sections of a resource page --------------------------------------------------------------

    def statements(self, iri: str, here: str) -> list[dict]:
        rows: dict[str, list] = {}
        for q in self.store.quads_for_pattern(ox.NamedNode(iri), None, None, ox.DefaultGraph()):
            rows.setdefault(q.predicate.value, []).append(q.object)
        return [{"property": _export._compact(p, PREFIXES) or p, "property_label": self.label(p, "en"),
                 "objects": sorted((self.value(o, here) for o in objs), key=lambda v: (v["lang"] or "", v["text"]))}
                for p, objs in sorted(rows.items(), key=lambda kv: (kv[0] != RDF_TYPE, kv[0]))]

    def referenced_by(self, iri: str, here: str) -> list[dict]:
        rows: dict[str, set] = {}
        for q in self.store.quads_for_pattern(None, None, ox.NamedNode(iri), ox.DefaultGraph()):
            if q.subject.value in self.pages:
                rows.setdefault(q.predicate.value, set()).add(q.subject)
        return [{"property": _export._compact(p, PREFIXES) or p, "objects": self.linked(subs, here)}
                for p, subs in sorted(rows.items())]

    def sections(self, page: Page) -> list[dict]:
        """The readable part of a page: per kind, the tables a reader asks for first."""
        iri, here, fk = page.iri, page.path, FK
        out: list[dict] = []

        def section(da: str, en: str, columns: list[tuple[str, str]], rows: list[list]) -> None:
            out.append({"da": da, "en": en, "columns": columns, "rows": rows})

        if page.kind == "trial":
            facts = []
            for p, da, en in ((fk + "status", "Status", "Status"), (fk + "statusText", "Status i kilden", "Status as written"),
                              (fk + "startDate", "Start", "Start"), (fk + "endDate", "Slut", "End"),
                              (fk + "network", "Netværk", "Network"), (fk + "programme", "Program", "Programme"),
                              (PREFIXES["dcterms"] + "isPartOf", "Del af", "Part of"),
                              (fk + "exemptionText", "Fritagelse i kilden", "Exemption as written"),
                              (fk + "legalBasis", "Hjemmel", "Legal basis"), (fk + "outcomeText", "Resultat", "Outcome")):
                vals = self.linked(self.objects(iri, p), here)
                if vals:
                    facts.append([{"text": da, "en": en}, vals])
            parts = self.linked(self.subjects(PREFIXES["dcterms"] + "isPartOf", iri), here)
            if parts:
                facts.append([{"text": "Delforsøg", "en": "Sub-trials"}, parts])
            section("Oversigt", "Overview", [("Egenskab", "Property"), ("Værdi", "Value")], facts)
            rows = []
            for sol in self.store.query(f"""PREFIX fk: <{fk}> PREFIX eli: <{PREFIXES['eli']}>
                    SELECT ?prov ?kind ?cite (SAMPLE(?st) AS ?statute) WHERE {{ ?e a fk:Exemption ; fk:trial <{iri}> ;
                    fk:provision ?prov ; fk:kind ?kind ; fk:citation ?cite OPTIONAL {{ ?prov fk:statute ?st }} }}
                    GROUP BY ?prov ?kind ?cite ORDER BY STR(?prov)"""):
                statute = sol["statute"] or sol["prov"]
                rows.append([[self.value(sol["prov"], here)], [self.value(statute, here)],
                             [self.value(sol["kind"], here)], [self.value(sol["cite"], here)]])
            section("Fritagelser", "Exemptions", [("Bestemmelse", "Provision"), ("Lov", "Statute"), ("Art", "Kind"),
                                                  ("Kildens ordlyd", "Citation as written")], rows)
            section("Kommuner", "Municipalities", [("Kommune", "Municipality")],
                    [[[v]] for v in self.linked(self.objects(iri, fk + "municipality"), here)])
        elif page.kind == "statute":
            rows = []
            direct = self.linked(self.subjects(fk + "exemptsFrom", iri), here)
            if direct:
                rows.append([[{"text": "(hele loven / the statute as a whole)", "lang": None, "href": None, "title": None}], direct])
            for p in sorted(self.subjects(fk + "statute", iri), key=lambda n: _queries.natural_key(self.label(n.value))):
                rows.append([[self.value(p, here)], self.linked(self.subjects(fk + "exemptsFrom", p.value), here)])
            section("Bestemmelser og forsøg, der er fritaget fra dem", "Provisions and the trials exempted from them",
                    [("Bestemmelse", "Provision"), ("Forsøg", "Trials")], rows)
        elif page.kind == "provision":
            facts = [[{"text": "Lov", "en": "Statute"}, self.linked(self.objects(iri, fk + "statute"), here)],
                     [{"text": "Del af", "en": "Part of"}, self.linked(self.objects(iri, PREFIXES["eli"] + "is_part_of"), here)],
                     [{"text": "Underbestemmelser", "en": "Subdivisions"},
                      self.linked(self.subjects(PREFIXES["eli"] + "is_part_of", iri), here)]]
            section("Oversigt", "Overview", [("Egenskab", "Property"), ("Værdi", "Value")], [f for f in facts if f[1]])
            section("Forsøg fritaget fra bestemmelsen", "Trials exempted from this provision", [("Forsøg", "Trial")],
                    [[[v]] for v in self.linked(self.subjects(fk + "exemptsFrom", iri), here)])
            basis = self.linked(self.subjects(fk + "legalBasis", iri), here)
            if basis:
                section("Forsøg med hjemmel i bestemmelsen", "Trials resting on this provision", [("Forsøg", "Trial")],
                        [[[v]] for v in basis])
        elif page.kind == "network":
            section("Medlemmer", "Members", [("Kommune", "Municipality")],
                    [[[v]] for v in self.linked(self.objects(iri, PREFIXES["org"] + "hasMember"), here)])
            rows = []
            for t in sorted(self.subjects(fk + "network", iri), key=lambda n: self.label(n.value).lower()):
                if t.value in self.pages:
                    rows.append([[self.value(t, here)], self.linked(self.objects(t.value, fk + "status"), here),
                                 self.linked(self.objects(t.value, fk + "exemptsFrom"), here)])
            section("Forsøg", "Trials", [("Forsøg", "Trial"), ("Status", "Status"), ("Fritaget fra", "Exempted from")], rows)
        elif page.kind == "municipality":
            section("Netværk", "Networks", [("Netværk", "Network")],
                    [[[v]] for v in self.linked(self.subjects(PREFIXES["org"] + "hasMember", iri), here)])
            section("Forsøg", "Trials", [("Forsøg", "Trial")],
                    [[[v]] for v in self.linked(self.subjects(fk + "municipality", iri), here)])
        elif page.kind == "source":
            dc, dct = "http://purl.org/dc/elements/1.1/", PREFIXES["dcterms"]
            facts = []
            for p, da, en in ((dct + "bibliographicCitation", "Henvisning", "Citation"), (dct + "type", "Type", "Kind"),
                              (dc + "publisher", "Udgiver", "Publisher"), (dc + "creator", "Forfattere", "Creators"),
                              (dct + "issued", "Udgivet", "Issued"), (dct + "identifier", "Identifikator", "Identifier"),
                              (PREFIXES["foaf"] + "page", "Adresse", "Web address"), (PREFIXES["skos"] + "note", "Note", "Note")):
                vals = self.linked(self.objects(iri, p), here)
                if vals:
                    facts.append([{"text": da, "en": en}, vals])
            section("Oversigt", "Overview", [("Egenskab", "Property"), ("Værdi", "Value")], facts)
            rows = []
            for sol in self.store.query(f"""PREFIX fk: <{fk}> PREFIX prov: <{PREFIXES['prov']}> PREFIX dcterms: <{PREFIXES['dcterms']}>
                    SELECT ?fact ?class ?start ?end WHERE {{ ?x dcterms:isPartOf <{iri}> ; fk:startLine ?start ; fk:endLine ?end .
                    ?fact prov:wasDerivedFrom ?x ; a ?class FILTER(STRSTARTS(STR(?class), "{fk}") && ?class != fk:Exemption) }}"""):
                rows.append(((int(sol["start"].value), int(sol["end"].value), self.label(sol["fact"].value).lower()),
                             [[_text(f"{sol['start'].value}-{sol['end'].value}")], [self.value(sol["fact"], here)],
                              [self.value(sol["class"], here)]]))
            section("Fakta hentet fra dokumentet (en fritagelse står på sit forsøgs side)",
                    "Facts derived from this document (an exemption is listed on its trial's page)",
                    [("Linjer", "Lines"), ("Faktum", "Fact"), ("Type", "Type")], [r for _, r in sorted(rows, key=lambda r: r[0])])
        elif page.kind == "programme":
            section("Netværk", "Networks", [("Netværk", "Network")],
                    [[[v]] for v in self.linked([n for n in self.subjects(fk + "programme", iri) if self.pages.get(n.value, Page("", "", "")).kind == "network"], here)])
        if page.kind != "source":
            section("Kilder", "Sources", [("Dokument", "Document"), ("Linjer", "Lines")], self.sources(iri, here))
        return [s for s in out if s["rows"]]

    def sources(self, iri: str, here: str) -> list[list]:
        """Each excerpt a fact rests on, as its document's page and the line range."""
        rows = []
        for x in self.objects(iri, PREFIXES["prov"] + "wasDerivedFrom"):
            start = next(iter(self.objects(x.value, FK + "startLine")), None)
            end = next(iter(self.objects(x.value, FK + "endLine")), None)
            for doc in self.objects(x.value, PREFIXES["dcterms"] + "isPartOf"):
                key = (self.label(doc.value), int(start.value) if start else 0)
                rows.append((key, [[self.value(doc, here)], [_text(f"{start.value}-{end.value}" if start and end else "")]]))
        return [r for _, r in sorted(rows, key=lambda r: r[0])]


def _text(text: str) -> dict:
    return {"text": text, "lang": None, "href": None, "title": None}


def bar_chart(rows: list[tuple[str, str, int, str | None]], width: int = 760) -> str:
    """An inline SVG bar chart: (label, title, value, href) per bar, largest first."""
    if not rows:
        return ""
    bar_h, gap, left, right = 26, 8, 110, 50
    top = max(v for _, _, v, _ in rows) or 1
    height = len(rows) * (bar_h + gap) + gap
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" aria-labelledby="chart-title">',
           '<title id="chart-title">Most exempted statutes (trials per statute)</title>']
    for i, (label, title, value, href) in enumerate(rows):
        y = gap + i * (bar_h + gap)
        w = max(2, round((width - left - right) * value / top))
        e = html.escape
        bar = (f'<g class="bar"><title>{e(label)}: {e(title)} ({value})</title>'
               f'<text x="{left - 8}" y="{y + bar_h * 0.7:.0f}" text-anchor="end">{e(label)}</text>'
               f'<rect x="{left}" y="{y}" width="{w}" height="{bar_h}" rx="3"></rect>'
               f'<text class="value" x="{left + w + 6}" y="{y + bar_h * 0.7:.0f}">{value}</text></g>')
        out.append(f'<a href="{e(href)}">{bar}</a>' if href else bar)
    out.append("</svg>")
    return "\n".join(out)


CONNEG = r"""# Content negotiation for {base}
# w3id-style rules: put this file in the w3id.org repository as {w3id_path}.htaccess (or serve the
# site with Apache under the IRI base). An IRI names a thing; these rules answer with a 303 See
# Other to the document that describes it: HTML for browsers, Turtle or JSON-LD for RDF clients.
Options +FollowSymLinks
RewriteEngine on

# RDF clients (curl -H 'Accept: text/turtle' {base}id/statute/lab)
RewriteCond %{{HTTP_ACCEPT}} text/turtle [OR]
RewriteCond %{{HTTP_ACCEPT}} application/n-triples
RewriteRule ^id/([a-z0-9/-]+)$ {site}id/$1.ttl [R=303,L]
RewriteCond %{{HTTP_ACCEPT}} application/ld\+json
RewriteRule ^id/([a-z0-9/-]+)$ {site}id/$1.jsonld [R=303,L]
# Everyone else (browsers)
RewriteRule ^id/([a-z0-9/-]+)$ {site}id/$1.html [R=303,L]

# The ontology: Turtle for RDF clients, its documentation for browsers
RewriteCond %{{HTTP_ACCEPT}} text/turtle [OR]
RewriteCond %{{HTTP_ACCEPT}} application/rdf\+xml
RewriteRule ^ontology$ {site}ontology/fk.ttl [R=303,L]
RewriteRule ^ontology$ {site}ontology/index.html [R=303,L]

# Dataset descriptions and dumps
RewriteRule ^\.well-known/void$ {site}void.ttl [R=303,L]
RewriteRule ^(dcat\.ttl|void\.ttl|dump/.+)$ {site}$1 [R=302,L]
RewriteRule ^$ {site}index.html [R=303,L]
"""


def build(built: Built, directory: str | Path, *, queries_dir: str | Path, ontology_file: str | Path | None = None,
          base_url: str | None = None, endpoint: str | None = None, gzip: bool = False,
          release: _export.Release | None = None) -> SiteReport:
    """Write the whole site into `directory` (created if missing; files of earlier runs are replaced).

    `base_url` is the public URL of the site (default: the IRI base); it appears in dcat.ttl,
    void.ttl and the rewrite rules. Pages link to each other relatively. `release` is the
    release metadata (default: fkgraph.rdf.serialize.load_release()), shown on the index and in dcat.ttl."""
    target = Path(directory)
    marker = ".fkgraph-site"
    if target.exists() and (not target.is_dir() or (any(target.iterdir()) and not (target / marker).is_file())):
        raise SiteError(f"{target}: exists and is not a site fkgraph wrote (no {marker} in it); "
                        f"give a new or empty folder, so that nothing else is replaced")
    site_url = _export._url(base_url or built.base)
    if endpoint:
        _export._url(endpoint)
    # The site is written into a fresh sibling folder and swapped into place at the end: a reader
    # sees the old site or the new one, and a failed run leaves the old one as it was.
    target.parent.mkdir(parents=True, exist_ok=True)
    directory = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent))
    try:
        report = _build(built, directory, queries_dir, ontology_file, site_url, endpoint, gzip, release)
        (directory / marker).write_text("written by fkgraph site; the folder is replaced on the next run\n")
        os.chmod(directory, 0o755)
        old = None
        if target.exists():
            old = target.with_name(f".{target.name}.old-{os.getpid()}")
            os.replace(target, old)
        os.replace(directory, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    report.directory = target
    report.publication.directory = target
    return report


def _build(built: Built, directory: Path, queries_dir, ontology_file, site_url: str, endpoint: str | None,
           gzip: bool, release: _export.Release | None = None) -> SiteReport:
    ontology = None
    if ontology_file and Path(ontology_file).is_file():
        ontology = ox.Store()
        ontology.bulk_load(path=str(ontology_file), format=ox.RdfFormat.TURTLE)
    s = _Site(built, ontology)
    env = _jinja()
    files: list[str] = []

    def write(rel: str, text: str | bytes) -> None:
        # Plain writes: the whole folder is new and is renamed into place by `build`.
        path = directory / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
        files.append(rel)

    def render(template: str, rel: str, **ctx: Any) -> None:
        root = s.href("index.html", rel).removesuffix("index.html") or "./"
        nav = [(s.href(LIST_PAGES[k][0], rel), LIST_PAGES[k][1], LIST_PAGES[k][2]) for k in ("network", "trial", "municipality", "statute", "source")]
        nav += [(s.href("ontology/index.html", rel), "Ontologi", "Ontology"), (s.href("data.html", rel), "Data", "Data")]
        write(rel, env.get_template(template).render(root=root, index=s.href("index.html", rel), css=s.href("style.css", rel),
                                                    nav=nav, **ctx))

    publication = _export.publish(built.store, directory, site_url, built.base, endpoint, gzip, release=release)
    files += [d.relpath for d in publication.dumps] + ["dump/context.jsonld", "dcat.ttl", "void.ttl", ".well-known/void"]
    write("style.css", (Path(__file__).parent / "templates" / "style.css").read_text(encoding="utf-8"))

    # One page per resource, with its CBD as Turtle and JSON-LD beside it.
    for page in sorted(s.pages.values(), key=lambda p: p.path):
        stem = page.path.removesuffix(".html")
        triples = _export.cbd(built.store, ox.NamedNode(page.iri))
        write(stem + ".ttl", _export.turtle(triples))
        write(stem + ".jsonld", _export.jsonld(triples))
        kind_da, kind_en = next((da, en) for k, da, en in KINDS.values() if k == page.kind)
        render("resource.html", page.path, page=page, kind_da=kind_da, kind_en=kind_en,
               ttl=posixpath.basename(stem) + ".ttl", jsonld=posixpath.basename(stem) + ".jsonld",
               sections=s.sections(page), statements=s.statements(page.iri, page.path),
               referenced=s.referenced_by(page.iri, page.path),
               list_page=s.href(LIST_PAGES.get(page.kind, LIST_PAGES["statute"])[0], page.path))

    # List pages.
    for kind, (rel, da, en) in LIST_PAGES.items():
        kinds = {kind, "provision"} if kind == "statute" else {kind}
        items = sorted((p for p in s.pages.values() if p.kind in kinds), key=lambda p: _queries.natural_key(p.path))
        render("list.html", rel, title=da, title_en=en,
               items=[{"href": s.href(p.path, rel), "text": p.title, "en": p.title_en, "kind": p.kind,
                       "iri": p.iri} for p in items])

    # Index: counts, chart, the questions of the query catalogue with their answers.
    counts = []
    for cls, (kind, da, en) in KINDS.items():
        n = sum(1 for p in s.pages.values() if p.kind == kind)
        counts.append({"da": da, "en": en, "n": n, "href": s.href(LIST_PAGES[kind][0], "index.html") if kind in LIST_PAGES else None})
    n_ex = sum(1 for _ in built.store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), ox.NamedNode(FK + "Exemption"), ox.DefaultGraph()))
    counts.append({"da": "Fritagelser", "en": "Exemptions", "n": n_ex, "href": None})
    counts.append({"da": "Tripler", "en": "Triples", "n": len(built.store), "href": "data.html"})

    catalogue = _queries.catalogue(queries_dir)
    questions = []
    chart = ""
    resolve = _queries.resolver(built.store)
    for q in catalogue.values():
        needs = [p for p in q.params if p.required and not p.default]
        item = {"name": q.name, "summary": q.summary, "description": q.description, "needs": [p.name for p in needs],
                "columns": [], "rows": [], "more": 0, "error": None}
        if not needs:
            try:
                rows = _queries.run(q, built.store, {}, resolve)
            except _queries.QueryError as e:
                item["error"] = str(e)
                rows = None
            if rows is not None:
                item["columns"] = rows.columns
                item["rows"] = [[_cell(s, v, "index.html") for v in r] for r in rows.rows[:15]]
                item["more"] = max(0, len(rows.rows) - 15)
                if q.name == CHART_QUERY:
                    bars = []
                    for d in rows.dicts()[:12]:
                        iri = _statute_iri(s, d["statute"])
                        bars.append((d["statute"], d["title"], int(d["trials"]),
                                     s.href(s.pages[iri].path, "index.html") if iri in s.pages else None))
                    chart = bar_chart(bars)
        questions.append(item)

    render("index.html", "index.html", counts=counts, chart=chart, questions=questions,
           title_da=_export.TITLE["da"], title_en=_export.TITLE["en"],
           description_da=_export.SUMMARY["da"], description_en=_export.SUMMARY["en"],
           release=publication.release)

    # Data page: dumps, DCAT-AP, VoID, conneg recipe.
    dumps = [{"href": d.relpath, "fmt": d.fmt, "gzip": d.gzip, "size": d.size, "sha256": d.sha256} for d in publication.dumps]
    w3id_path = built.base.split("w3id.org/", 1)[1] if "w3id.org/" in built.base else ""
    rules = CONNEG.format(base=built.base, site=site_url, w3id_path=w3id_path)
    write(".htaccess", rules)
    render("data.html", "data.html", dumps=dumps, rules=rules, site_url=site_url, base=built.base, endpoint=endpoint)

    # Ontology: fkgraph.publish.ontodocs when present, else the Turtle and a generated term list.
    _ontology(built, directory, ontology_file, ontology, s, render, write)
    return SiteReport(directory, sum(1 for f in files if f.endswith(".html")), len(s.pages), publication, files)


def _statute_iri(s: _Site, notation: str) -> str | None:
    """The statute page whose skos:notation is `notation` (the chart query returns notations)."""
    for iri, page in s.pages.items():
        if page.kind == "statute" and any(o.value == notation for o in s.objects(iri, PREFIXES["skos"] + "notation")):
            return iri
    return None


def _cell(s: _Site, v: Any, here: str) -> dict:
    if isinstance(v, str) and v.startswith(("http://", "https://")):
        return s.value(ox.NamedNode(v), here)
    return {"text": "" if v is None else str(v), "lang": None, "href": None, "title": None}


def _ontology(built: Built, directory: Path, ontology_file, ontology: ox.Store | None, s: _Site, render, write) -> None:
    if ontology_file and Path(ontology_file).is_file():
        write("ontology/fk.ttl", Path(ontology_file).read_bytes())
    try:
        import importlib
        docs = importlib.import_module("fkgraph.publish.ontodocs")
    except ImportError:
        docs = None
    generated = False
    if docs is not None and ontology_file:
        for name in ("write_html", "render_html", "html"):
            fn = getattr(docs, name, None)
            if callable(fn):
                try:
                    result = fn(ontology_file)
                except TypeError:
                    continue
                if isinstance(result, str) and "<html" in result.lower():
                    write("ontology/docs.html", result)
                    generated = True
                break
    terms = []
    if ontology is not None:
        for sol in ontology.query("""PREFIX owl: <http://www.w3.org/2002/07/owl#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
                PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
                SELECT ?t ?kind (SAMPLE(?d) AS ?def) (SAMPLE(?de) AS ?def_en) WHERE {
                  VALUES ?kind { owl:Class owl:ObjectProperty owl:DatatypeProperty skos:ConceptScheme skos:Concept }
                  ?t a ?kind FILTER(isIRI(?t))
                  OPTIONAL { ?t skos:definition ?d FILTER(LANG(?d) = "da") }
                  OPTIONAL { ?t skos:definition ?de FILTER(LANG(?de) = "en") }
                } GROUP BY ?t ?kind ORDER BY ?kind ?t"""):
            iri = sol["t"].value
            terms.append({"iri": iri, "curie": _export._compact(iri, PREFIXES) or iri,
                          "kind": _export._compact(sol["kind"].value, PREFIXES),
                          "da": s.label(iri), "en": s.label(iri, "en", fallback=False),
                          "def": sol["def"].value if sol["def"] else "", "def_en": sol["def_en"].value if sol["def_en"] else ""})
    render("ontology.html", "ontology/index.html", terms=terms, has_ttl=bool(ontology_file and Path(ontology_file).is_file()),
           docs=generated)
