"""The graph as the static site's pages: which resources get a page of their own, how a term is
shown and linked, and the tables each kind of page shows first (fkgraph.publishing.website renders them)."""
from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyoxigraph as ox

from fkgraph.rdf.terms import PREFIXES, compact
from fkgraph.sparql import results as _results
from fkgraph.sparql.binding import internal

if TYPE_CHECKING:
    from fkgraph.rdf.store import Built

FK = PREFIXES["fk"]
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
OVERVIEW = [("Egenskab", "Property"), ("Værdi", "Value")]
#: properties whose values are for data users, not visitors: the curators' notes on reading choices
HIDDEN = {PREFIXES["skos"] + "note"}


@dataclass
class Page:
    iri: str
    kind: str
    path: str                      # relative to the site root, e.g. "id/trial/frikommune-ii/x.html"
    title: str = ""
    title_en: str = ""
    qualifier: str = ""            # what tells it from pages of the same title ("netværk 3, del af …")
    qualifier_en: str = ""

    @property
    def display(self) -> str:
        return f"{self.title} ({self.qualifier})" if self.qualifier else self.title

    @property
    def display_en(self) -> str:
        en = self.title_en or self.title
        return f"{en} ({self.qualifier_en})" if self.qualifier_en else en


def text(value: str, en: str | None = None) -> dict:
    """Plain text as the templates show a term (with its English beside it, if given)."""
    return {"text": value, "lang": None, "href": None, "title": None, "en": en}


def section(da: str, en: str, columns: list[tuple[str, str]], rows: list[list]) -> dict:
    return {"da": da, "en": en, "columns": columns, "rows": rows}


class Site:
    """The pages of a built graph, with the labels (of the data and the ontology) they show."""

    def __init__(self, built: Built, ontology: ox.Store | None):
        self.store = built.store
        self.base = built.base
        self.labels: dict[str, dict[str, str]] = {}
        for store in filter(None, (built.store, ontology)):
            for q in store.query(internal("labels", "fkgraph.publishing")):
                self.labels.setdefault(q["s"].value, {}).setdefault(q["l"].language or "", q["l"].value)
        self.pages: dict[str, Page] = {}
        for cls, (kind, _, _) in KINDS.items():
            for q in self.store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), ox.NamedNode(cls), ox.DefaultGraph()):
                iri = q.subject.value
                if isinstance(q.subject, ox.NamedNode) and iri.startswith(self.base):
                    path = iri[len(self.base):] + ".html"
                    self.pages[iri] = Page(iri, kind, path, self.label(iri), self.label(iri, "en", fallback=False))
        self._qualify()

    def _qualify(self) -> None:
        """Trials that share a title are told apart by network, then parent row, then municipalities."""
        by_title: dict[str, list[Page]] = {}
        for p in self.pages.values():
            if p.kind == "trial":
                by_title.setdefault(p.title.casefold(), []).append(p)
        for group in (g for g in by_title.values() if len(g) > 1):
            parts = {p.iri: ([], []) for p in group}
            steps = ((FK + "network", "netværk", "network"), (PREFIXES["dcterms"] + "isPartOf", "del af", "part of"),
                     (FK + "municipality", "", ""))
            for pred, da, en in steps:
                for p in group:
                    names = sorted(self.label(o.value) if pred != FK + "network" else
                                   str(next(iter(self.objects(o.value, FK + "number")), o).value) for o in self.objects(p.iri, pred))
                    if names:
                        parts[p.iri][0].append(f"{da} {', '.join(names)}".strip())
                        parts[p.iri][1].append(f"{en} {', '.join(names)}".strip())
                if len({tuple(v[0]) for v in parts.values()}) == len(group):
                    break
            for p in group:
                p.qualifier, p.qualifier_en = "; ".join(parts[p.iri][0]), "; ".join(parts[p.iri][1])

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
        return compact(iri, PREFIXES) or iri

    def href(self, target: str, here: str) -> str:
        """A relative link from page `here` to site path `target`."""
        return posixpath.relpath(target, posixpath.dirname(here) or ".")

    def value(self, term, here: str) -> dict:
        """A term as the templates show it: text, optional link, language, and the English label of a
        value that is not a page of its own (a status, a kind, a class), shown beside the Danish one."""
        if isinstance(term, ox.Literal):
            return {"text": term.value, "lang": term.language or None, "href": None, "title": None, "en": None}
        if isinstance(term, ox.BlankNode):
            return text("[…]")
        page = self.pages.get(term.value)
        da, en = self.label(term.value), self.label(term.value, "en", fallback=False)
        if page:
            da, en = page.display, page.display_en if page.title_en else ""
        return {"text": da, "lang": "da" if "da" in self.labels.get(term.value, {}) else None,
                "href": self.href(page.path, here) if page else (term.value if not term.value.startswith(self.base) else None),
                "title": en or term.value, "en": en if en and en != da and not page else None}

    def objects(self, s: str, p: str) -> list:
        return [q.object for q in self.store.quads_for_pattern(ox.NamedNode(s), ox.NamedNode(p), None, ox.DefaultGraph())]

    def subjects(self, p: str, o: str) -> list:
        return [q.subject for q in self.store.quads_for_pattern(None, ox.NamedNode(p), ox.NamedNode(o), ox.DefaultGraph())]

    def order(self, node) -> list:
        """Statutes and provisions in legal order (their IRI paths, naturally: § 9, § 48, § 140, stk. 2
        before stk. 10, § 13 before § 13 a); everything else by its label, naturally."""
        page = self.pages.get(getattr(node, "value", ""))
        if page and page.kind in ("statute", "provision"):
            return [0, *_results.natural_key(page.iri)]
        return [1, *_results.natural_key(page.display if page else self.label(node.value) if isinstance(node, ox.NamedNode)
                                         else getattr(node, "value", ""))]

    def linked(self, nodes, here: str) -> list[dict]:
        return [self.value(n, here) for n in sorted(set(nodes), key=lambda n: (self.order(n), str(n)))]

    def facts(self, iri: str, here: str, rows) -> list[list]:
        """An overview table: (property, Danish name, English name) per row, the empty ones left out."""
        out = []
        for p, da, en in rows:
            vals = self.linked(self.objects(iri, p), here)
            if vals:
                out.append([{"text": da, "en": en}, vals])
        return out

    # ---- the parts of a resource page -------------------------------------------------------------

    def statements(self, iri: str, here: str) -> list[dict]:
        """Every statement about `iri` but the curators' notes (skos:note: reading choices for data
        users, kept in the Turtle and JSON-LD beside the page, not shown to visitors)."""
        rows: dict[str, list] = {}
        for q in self.store.quads_for_pattern(ox.NamedNode(iri), None, None, ox.DefaultGraph()):
            if q.predicate.value not in HIDDEN:
                rows.setdefault(q.predicate.value, []).append(q.object)
        return [{"property": compact(p, PREFIXES) or p, "da": self.label(p, "da", fallback=False),
                 "en": self.label(p, "en", fallback=False),
                 "objects": sorted((self.value(o, here) for o in objs), key=lambda v: (v["lang"] or "", _results.natural_key(v["text"])))}
                for p, objs in sorted(rows.items(), key=lambda kv: (kv[0] != RDF_TYPE, kv[0]))]

    def referenced_by(self, iri: str, here: str) -> list[dict]:
        rows: dict[str, set] = {}
        for q in self.store.quads_for_pattern(None, None, ox.NamedNode(iri), ox.DefaultGraph()):
            if q.subject.value in self.pages:
                rows.setdefault(q.predicate.value, set()).add(q.subject)
        return [{"property": compact(p, PREFIXES) or p, "da": self.label(p, "da", fallback=False),
                 "en": self.label(p, "en", fallback=False), "objects": self.linked(subs, here)}
                for p, subs in sorted(rows.items())]

    def ancestors(self, page: Page) -> list[Page]:
        """The pages above `page` for its breadcrumbs: a trial's network and parent row, a provision's
        statute and enclosing provisions, a network's programme (outermost first)."""
        up = {"trial": (PREFIXES["dcterms"] + "isPartOf",), "provision": (PREFIXES["eli"] + "is_part_of",),
              "network": (FK + "programme",)}.get(page.kind, ())
        chain, seen, here = [], {page.iri}, page
        while up:
            nxt = next((self.pages[o.value] for p in up for o in self.objects(here.iri, p)
                        if o.value in self.pages and o.value not in seen), None)
            if nxt is None:
                break
            chain.append(nxt)
            seen.add(nxt.iri)
            here = nxt
        if page.kind == "trial":
            top = chain[-1] if chain else page
            chain += [self.pages[o.value] for o in self.objects(top.iri, FK + "network") if o.value in self.pages][:1]
        return chain[::-1]

    def sections(self, page: Page) -> list[dict]:
        """The readable part of a page: per kind, the tables a reader asks for first."""
        out = _SECTIONS[page.kind](self, page.iri, page.path) if page.kind in _SECTIONS else []
        if page.kind != "source":
            out.append(section("Kilder", "Sources", [("Dokument", "Document"), ("Linjer", "Lines")],
                               self.sources(page.iri, page.path)))
        return [s for s in out if s["rows"]]

    def sources(self, iri: str, here: str) -> list[list]:
        """Each excerpt a fact rests on, as its document's page and the line range."""
        rows = []
        for x in self.objects(iri, PREFIXES["prov"] + "wasDerivedFrom"):
            start = next(iter(self.objects(x.value, FK + "startLine")), None)
            end = next(iter(self.objects(x.value, FK + "endLine")), None)
            for doc in self.objects(x.value, PREFIXES["dcterms"] + "isPartOf"):
                key = (self.label(doc.value), int(start.value) if start else 0)
                rows.append((key, [[self.value(doc, here)], [text(f"{start.value}-{end.value}" if start and end else "")]]))
        return [r for _, r in sorted(rows, key=lambda r: r[0])]


# ---- the tables of each kind of page ---------------------------------------------------------------

HISTORY = [("Dato", "Date"), ("Status", "Status"), ("Kildens ordlyd", "As the source says"), ("Kilde", "Source")]


def _when(s: Site, node: str) -> tuple[tuple[str, str], dict]:
    """An observation's date as the source states it, or its bounds, and what it sorts by: the day
    it counts from (its day, else its last possible day), then its first possible day."""
    dct = PREFIXES["dcterms"]
    day = next(iter(s.objects(node, dct + "date")), None)
    first = next(iter(s.objects(node, FK + "notBefore")), None)
    last = next(iter(s.objects(node, FK + "notAfter")), None)
    since, until = (first.value if first else ""), (last.value if last else "")
    if day is not None:
        return ((day.value, day.value) if len(day.value) == 10 else (until, since)), text(day.value, "")
    if first and last:
        return (until, since), text(f"mellem {since} og {until}", f"between {since} and {until}")
    if last:
        return (until, ""), text(f"senest {until}", f"by {until}")
    return (since, since), text(f"efter {since}", f"after {since}")


def history(s: Site, subjects: list[str], here: str, about: bool = False) -> list[list]:
    """Dated rows, oldest first: a trial's February 2018 status (fk:status, dated as its source 004),
    then every status observation about one of `subjects` (`about`: naming which), with the
    document linked and its lines."""
    prov, dct = PREFIXES["prov"], PREFIXES["dcterms"]
    rows = []

    def source(node: str, only: str | None = None) -> list[dict]:
        cells = []
        for x in sorted(s.objects(node, prov + "wasDerivedFrom"), key=lambda x: _results.natural_key(x.value)):
            start, end = (next(iter(s.objects(x.value, FK + p)), None) for p in ("startLine", "endLine"))
            for doc in s.objects(x.value, dct + "isPartOf"):
                if only is None or doc.value.endswith("/" + only):
                    lines = start.value if start and end and start.value == end.value else f"{start.value}-{end.value}" if start and end else ""
                    cells += [s.value(doc, here), text(f"linje {lines}", f"lines {lines}")]
        return cells
    for iri in subjects:
        if not about:
            for status in s.objects(iri, FK + "status"):
                cells = source(iri, "004")
                issued = next((str(d.value) for c in s.objects(iri, prov + "wasDerivedFrom") for doc in s.objects(c.value, dct + "isPartOf")
                               if doc.value.endswith("/004") for d in s.objects(doc.value, dct + "issued")), "")
                rows.append(((issued, "", 0), [text(issued, ""), [s.value(status, here)], s.linked(s.objects(iri, FK + "statusText"), here), cells]))
        for obs in s.subjects(FK + "about", iri):
            key, when = _when(s, obs.value)
            statement = [v for v in s.linked(s.objects(obs.value, FK + "statusText"), here) if v["lang"] == "da"]
            subject = [[s.value(ox.NamedNode(iri), here)]] if about else []
            rows.append(((*key, 1), [when, *subject, s.linked(s.objects(obs.value, FK + "observedStatus"), here), statement, source(obs.value)]))
    return [r for _, r in sorted(rows, key=lambda r: (r[0], str(r[1])))]


def _trial(s: Site, iri: str, here: str) -> list[dict]:
    fk, dct = FK, PREFIXES["dcterms"]
    facts = s.facts(iri, here, (
        (fk + "status", "Status", "Status"), (fk + "statusText", "Status i kilden", "Status as written"),
        (fk + "startDate", "Start", "Start"), (fk + "endDate", "Slut", "End"),
        (fk + "network", "Netværk", "Network"), (fk + "programme", "Program", "Programme"),
        (dct + "isPartOf", "Del af", "Part of"), (fk + "exemptionText", "Fritagelse i kilden", "Exemption as written"),
        (fk + "legalBasis", "Hjemmel", "Legal basis"), (fk + "outcomeText", "Resultat", "Outcome")))
    parts = s.linked(s.subjects(dct + "isPartOf", iri), here)
    if parts:
        facts.append([{"text": "Delforsøg", "en": "Sub-trials"}, parts])
    rows = []
    sols = s.store.query(internal("trial-exemptions", "fkgraph.publishing", trial=ox.NamedNode(iri)))
    for sol in sorted(sols, key=lambda sol: (s.order(sol["prov"]), sol["kind"].value, sol["cite"].value)):
        statute = sol["statute"] or sol["prov"]
        rows.append([[s.value(sol["prov"], here)], [s.value(statute, here)],
                     [s.value(sol["kind"], here)], [s.value(sol["cite"], here)]])
    return [section("Oversigt", "Overview", OVERVIEW, facts),
            section("Status over tid", "Status over time", HISTORY, history(s, [iri], here)),
            section("Fritagelser", "Exemptions", [("Bestemmelse", "Provision"), ("Lov", "Statute"), ("Art", "Kind"),
                                                  ("Kildens ordlyd", "Citation as written")], rows),
            section("Kommuner", "Municipalities", [("Kommune", "Municipality")],
                    [[[v]] for v in s.linked(s.objects(iri, fk + "municipality"), here)])]


def _statute(s: Site, iri: str, here: str) -> list[dict]:
    rows = []
    direct = s.linked(s.subjects(FK + "exemptsFrom", iri), here)
    if direct:
        rows.append([[text("hele loven", "the statute as a whole")], direct])
    for p in sorted(s.subjects(FK + "statute", iri), key=s.order):
        rows.append([[s.value(p, here)], s.linked(s.subjects(FK + "exemptsFrom", p.value), here)])
    return [section("Bestemmelser og forsøg, der er fritaget fra dem", "Provisions and the trials exempted from them",
                    [("Bestemmelse", "Provision"), ("Forsøg", "Trials")], rows)]


def _provision(s: Site, iri: str, here: str) -> list[dict]:
    eli = PREFIXES["eli"]
    facts = [[{"text": "Lov", "en": "Statute"}, s.linked(s.objects(iri, FK + "statute"), here)],
             [{"text": "Del af", "en": "Part of"}, s.linked(s.objects(iri, eli + "is_part_of"), here)],
             [{"text": "Underbestemmelser", "en": "Subdivisions"}, s.linked(s.subjects(eli + "is_part_of", iri), here)]]
    out = [section("Oversigt", "Overview", OVERVIEW, [f for f in facts if f[1]]),
           section("Forsøg fritaget fra bestemmelsen", "Trials exempted from this provision", [("Forsøg", "Trial")],
                   [[[v]] for v in s.linked(s.subjects(FK + "exemptsFrom", iri), here)])]
    basis = s.linked(s.subjects(FK + "legalBasis", iri), here)
    if basis:
        out.append(section("Forsøg med hjemmel i bestemmelsen", "Trials resting on this provision", [("Forsøg", "Trial")],
                           [[[v]] for v in basis]))
    return out


def _network(s: Site, iri: str, here: str) -> list[dict]:
    rows = []
    for t in sorted(s.subjects(FK + "network", iri), key=s.order):
        if t.value in s.pages:
            rows.append([[s.value(t, here)], s.linked(s.objects(t.value, FK + "status"), here),
                         s.linked(s.objects(t.value, FK + "exemptsFrom"), here)])
    trials = [t.value for t in s.subjects(FK + "network", iri)]
    return [section("Medlemmer", "Members", [("Kommune", "Municipality")],
                    [[[v]] for v in s.linked(s.objects(iri, PREFIXES["org"] + "hasMember"), here)]),
            section("Forsøg", "Trials", [("Forsøg", "Trial"), ("Status", "Status"), ("Fritaget fra", "Exempted from")], rows),
            section("Status over tid: netværket og dets forsøg efter februar 2018",
                    "Status over time: the network and its trials after February 2018",
                    [("Dato", "Date"), ("Om", "About")] + HISTORY[1:], history(s, [iri] + trials, here, about=True))]


def _municipality(s: Site, iri: str, here: str) -> list[dict]:
    return [section("Netværk", "Networks", [("Netværk", "Network")],
                    [[[v]] for v in s.linked(s.subjects(PREFIXES["org"] + "hasMember", iri), here)]),
            section("Forsøg", "Trials", [("Forsøg", "Trial")],
                    [[[v]] for v in s.linked(s.subjects(FK + "municipality", iri), here)])]


def _source(s: Site, iri: str, here: str) -> list[dict]:
    dc, dct = "http://purl.org/dc/elements/1.1/", PREFIXES["dcterms"]
    facts = s.facts(iri, here, (
        (dct + "bibliographicCitation", "Henvisning", "Citation"), (dct + "type", "Type", "Kind"),
        (dc + "publisher", "Udgiver", "Publisher"), (dc + "creator", "Forfattere", "Creators"),
        (dct + "issued", "Udgivet", "Issued"), (dct + "identifier", "Identifikator", "Identifier"),
        (PREFIXES["foaf"] + "page", "Adresse", "Web address")))
    rows = []
    for sol in s.store.query(internal("document-facts", "fkgraph.publishing", document=ox.NamedNode(iri))):
        rows.append(((int(sol["start"].value), int(sol["end"].value), s.label(sol["fact"].value).lower(), sol["fact"].value),
                     [[text(f"{sol['start'].value}-{sol['end'].value}")], [s.value(sol["fact"], here)],
                      [s.value(sol["class"], here)]]))
    return [section("Oversigt", "Overview", OVERVIEW, facts),
            section("Fakta hentet fra dokumentet (en fritagelse står på sit forsøgs side)",
                    "Facts derived from this document (an exemption is listed on its trial's page)",
                    [("Linjer", "Lines"), ("Faktum", "Fact"), ("Type", "Type")], [r for _, r in sorted(rows, key=lambda r: r[0])])]


def _programme(s: Site, iri: str, here: str) -> list[dict]:
    networks = [n for n in s.subjects(FK + "programme", iri) if getattr(s.pages.get(n.value), "kind", "") == "network"]
    return [section("Netværk", "Networks", [("Netværk", "Network")], [[[v]] for v in s.linked(networks, here)]),
            section("Status over tid", "Status over time", HISTORY, history(s, [iri], here))]


_SECTIONS = {"trial": _trial, "statute": _statute, "provision": _provision, "network": _network,
             "municipality": _municipality, "source": _source, "programme": _programme}
