"""Records → triples: every record kind mapped to RDF, loaded into a fresh in-memory store.

Every exemption written in the records as canonical citation text is parsed here into atomic
provisions, so the graph always agrees with the citation grammar; a citation the grammar
rejects is a RecordError pointing at the record's line. While mapping, each minted subject IRI
remembers the data file and line of its record (`Built.origins`), for validation reports.
"""
from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from fkgraph.model import iris
from fkgraph.rdf.store import Built, Origins, Progress, load
from fkgraph.rdf.terms import A, TRUE, _checked, _iri, _lit, _t, concept, da, date, en, integer, partial_date

if TYPE_CHECKING:  # loading a cached graph needs neither the YAML reader nor the grammar
    from fkgraph.model import citations
    from fkgraph.model.records import Record, Records

#: property → the record field its value comes from, so a validation result names the field and
#: its line (the same property may come from different fields in different records: the first
#: field of the list the record has wins).
FIELDS = {
    "fk:status": ["status"], "fk:statusText": ["status_text", "text"], "fk:startDate": ["start"],
    "fk:endDate": ["end"], "rdfs:label": ["name", "title"], "fk:municipality": ["municipalities"],
    "org:hasMember": ["members"], "fk:kind": ["kind"], "fk:citation": ["text"], "fk:provision": ["cites"],
    "fk:exemptsFrom": ["exemptions"], "fk:decision": ["decision"], "fk:round": ["round"],
    "fk:resultedIn": ["trial"], "fk:evaluates": ["trials"], "fk:concerns": ["trials"],
    "fk:evaluator": ["evaluator"], "fk:design": ["design"], "fk:outcomeKind": ["kind"],
    "fk:number": ["number"], "fk:theme": ["theme"], "skos:notation": ["id", "code"],
    "dcterms:isPartOf": ["parent"], "fk:exemptionText": ["text"], "fk:outcomeText": ["outcome"],
    "prov:wasDerivedFrom": ["source", "sources"], "skos:note": ["note"], "fk:reason": ["reason"],
    "fk:statuteType": ["type"], "rdfs:seeAlso": ["eli"], "dcterms:title": ["title"],
    "fk:legalBasis": ["legal_basis"], "fk:partial": ["partial"], "fk:unspecified": ["unspecified"],
    "fk:about": ["subject"], "fk:observedStatus": ["status"], "dcterms:date": ["date"], "fk:dateText": ["date_text"],
    "fk:notBefore": ["not_before", "date"], "fk:notAfter": ["not_after", "date"], "fk:excludes": ["except"],
    "fk:involvedMunicipality": ["municipalities"], "fk:trialCount": ["count"], "fk:municipalityCount": ["count"],
    "fk:recommendationCount": ["count"], "fk:plannedFor": ["planned"], "fk:plannedText": ["planned_text"],
    "dcterms:references": ["cites"],
}

#: What an observation's `count:` keys become.
COUNTS = {"trials": "fk:trialCount", "municipalities": "fk:municipalityCount", "recommendations": "fk:recommendationCount"}

LEVEL_NAMES = {"kap": "kapitel", "p": "paragraf", "stk": "stykke", "nr": "nummer", "litra": "litra", "pkt": "punktum"}


class _Triples:
    """Collects triples as N-Triples lines in a temporary file (`keep=False`: only the origins)."""

    def __init__(self, root: Path, keep: bool = True) -> None:
        self.root, self.keep = root, keep
        self.out = io.TextIOWrapper(tempfile.TemporaryFile(prefix="fkgraph-build-"), encoding="utf-8",
                                    newline="") if keep else None
        self.excerpts: dict[tuple, str] = {}
        self.origins: Origins = {}
        self._files: dict[str, str] = {}

    def add(self, s: str, p: str, o: str) -> None:
        if self.keep:
            self.out.write(f"{s} {p} {o} .\n")

    def store(self, progress: Progress | None = None) -> ox.Store:
        """The triples loaded in sorted order: the store then holds each subject's triples
        together, which the validation that follows a build reads faster."""
        self.out.flush()
        raw = self.out.detach()
        with raw:
            raw.seek(0)
            lines = raw.read().splitlines(keepends=True)
        lines.sort()
        with tempfile.TemporaryFile(prefix="fkgraph-build-") as f:
            f.writelines(lines)
            del lines
            f.seek(0)
            return load(f, progress)

    def origin(self, node: str, rec: Record, key: str | None = None) -> None:
        """Remember that `node` (as "<iri>") was minted from `rec` (at its field `key`)."""
        file = getattr(rec, "file", "?")
        rel = self._files.get(file)
        if rel is None:
            rel = self._files[file] = _relative(file, self.root)
        line = rec.line_of(key) if key and hasattr(rec, "line_of") else getattr(rec, "line", 1)
        self.origins[node[1:-1]] = (rel, line, getattr(rec, "key_lines", None) or {})

    def labels(self, s, names: dict, prop: str = "rdfs:label") -> None:
        for lang, text in sorted(names.items()):
            self.add(s, _t(prop), _lit(text, lang))

    def sources(self, s, rec: Record, base: str) -> None:
        for src in rec["_sources"]:
            key = (src["doc"], src["start"], src["end"])
            excerpt = self.excerpts.get(key)
            if excerpt is not None:
                self.add(s, _t("prov:wasDerivedFrom"), excerpt)
                continue
            excerpt = self.excerpts[key] = _iri(iris.excerpt(src["doc"], src["start"], src["end"], base))
            self.add(s, _t("prov:wasDerivedFrom"), excerpt)
            self.add(excerpt, A, _t("fk:SourceExcerpt"))
            self.add(excerpt, _t("dcterms:isPartOf"), _iri(iris.mint("document", base, doc=src["doc"])))
            self.add(excerpt, _t("fk:startLine"), integer(src["start"]))
            self.add(excerpt, _t("fk:endLine"), integer(src["end"]))
            self.add(excerpt, _t("rdfs:label"), da(f"kilde {src['doc']}, linje {src['start']}-{src['end']}"))
            self.add(excerpt, _t("rdfs:label"), en(f"source {src['doc']}, lines {src['start']}-{src['end']}"))

    def note(self, s, rec: Record) -> None:
        if rec.get("note"):
            self.add(s, _t("skos:note"), en(str(rec["note"]).strip()))


def _relative(file: str, root: Path) -> str:
    """A record's file relative to the folder holding data/ (e.g. data/networks/x.yaml)."""
    try:
        return str(Path(file).resolve().relative_to(Path(root).resolve().parent))
    except ValueError:
        return file


def citation_text(doc: Record) -> str:
    """A reference a reader can look up: creators, title, publisher, date, identifier, URL."""
    parts = [", ".join(doc.get("creators") or []), doc["title"]["da"], doc.get("publisher"),
             doc.get("issued"), doc.get("identifier"), doc.get("url")]
    return ". ".join(str(p).rstrip(".") for p in parts if p) + "."


def source_document(t: _Triples, doc: Record, base: str) -> None:
    """A source as a publication (DCTERMS with DC elements for the names it gives as text);
    the extracted text's file name stays in the records."""
    node = _iri(iris.mint("document", base, doc=doc["id"]))
    t.origin(node, doc)
    t.add(node, A, _t("fk:SourceDocument"))
    t.add(node, A, _t("dcterms:BibliographicResource"))
    t.add(node, _t("skos:notation"), _lit(doc["id"]))
    t.labels(node, doc["title"], "dcterms:title")
    t.labels(node, doc["title"])
    t.add(node, _t("dcterms:type"), concept("document-kind", doc["kind"]))
    t.add(node, _t("dcterms:bibliographicCitation"), _lit(citation_text(doc)))
    if doc.get("publisher"):
        t.add(node, _t("dc:publisher"), _lit(doc["publisher"]))
    for name in doc.get("creators") or []:
        t.add(node, _t("dc:creator"), _lit(name))
    if doc.get("issued"):
        t.add(node, _t("dcterms:issued"), partial_date(str(doc["issued"])))
    if doc.get("identifier"):
        t.add(node, _t("dcterms:identifier"), _lit(doc["identifier"]))
    if doc.get("url"):
        t.add(node, _t("foaf:page"), _checked(doc["url"]))
    if doc.get("note"):
        t.add(node, _t("skos:note"), en(" ".join(doc["note"].split())))


def statute_index(records: Records) -> citations.StatuteIndex:
    from fkgraph.model import citations

    return citations.StatuteIndex.from_records(records.statutes)


def build(records: Records, base: str = iris.DEFAULT_BASE, progress: Progress | None = None) -> Built:
    """Build the whole graph from records into a fresh in-memory store (`progress`: see Progress;
    the trials, then loading the triples)."""
    if not base.endswith("/"):
        base += "/"
    _checked(base)  # minted IRIs are checked segments under it
    m = _Mapping(records, base, _Triples(records.root))
    m.run(progress)
    t, origins = m.t, m.t.origins
    del m  # the lookups go before the store grows
    iris.forget()
    return Built(store=t.store(progress), records=records, base=base, origins=origins)


def origins(records: Records, base: str = iris.DEFAULT_BASE) -> Origins:
    """`Built.origins` of the graph `build` would make, without making it."""
    if not base.endswith("/"):
        base += "/"
    m = _Mapping(records, base, _Triples(records.root, keep=False))
    m.run()
    iris.forget()
    return m.t.origins


class _Mapping:
    """One build: a method per record kind, and the nodes later kinds point at."""

    def __init__(self, records: Records, base: str, t: _Triples):
        self.records, self.base, self.t = records, base, t
        self.index = statute_index(records)
        self.memo: dict = {}
        self.provisions: dict[tuple, str] = {}
        self.programmes: dict[str, str] = {}
        self.municipalities: dict[str, str] = {}
        self.networks: dict[tuple, str] = {}
        self.trials: dict[tuple, str] = {}

    def run(self, progress: Progress | None = None) -> None:
        recs = self.records
        for doc in recs.sources:
            source_document(self.t, doc, self.base)
        for p in recs.programmes:
            self.programme(p)
        for m in recs.municipalities:
            self.municipality(m)
        for s in recs.statutes:
            self.statute(s)
        for n in recs.networks:
            self.network(n)
        self.trials = {(tr["programme"], tr["id"]): _iri(iris.mint("trial", self.base, programme=tr["programme"], trial=tr["id"]))
                       for tr in recs.trials}
        for i, tr in enumerate(recs.trials):
            if progress and i % 1000 == 0:
                progress("building", i, len(recs.trials))
            self.trial(tr)
        if progress:
            progress("building", len(recs.trials), len(recs.trials))
        for a in recs.applications:
            self.application(a)
        for e in recs.evaluations:
            self.evaluation(e)
        for o in recs.outcomes:
            self.outcome(o)
        for o in recs.observations:
            self.observation(o)

    def parse(self, cite: str, rec: Record, key: str, where: str) -> citations.Provision:
        """citations.parse_one, memoised for this build: the same canonical citation recurs across many trials."""
        found = self.memo.get(cite)
        if found is not None:
            return found
        from fkgraph.model import citations

        try:
            found = self.memo[cite] = citations.parse_one(cite, self.index)
            return found
        except citations.CitationError as e:
            raise rec.error(f"{where}: citation {cite!r} cannot be read ({e}); write it canonically, e.g. \"SL § 52, stk. 3\", with a statute id from statutes.yaml", key) from None

    def provision(self, p: citations.Provision) -> str:
        """The provision's node, minted (with its parents) the first time it is cited."""
        found = self.provisions.get((p.statute, p.path))  # a plain key: Provision() re-checks its path
        if found is not None:
            return found
        from fkgraph.model import citations

        t, key = self.t, citations.Provision(p.statute, p.path)
        node = self.provisions[(p.statute, p.path)] = _iri(iris.provision(key, self.base))
        if key.path:
            statute = _iri(iris.statute(key.statute, self.base))
            if statute[1:-1] in t.origins:  # a provision is written in its statute's record
                t.origins[node[1:-1]] = t.origins[statute[1:-1]]
            t.add(node, A, _t("eli:LegalResourceSubdivision"))
            t.add(node, _t("eli:is_part_of"), self.provision(key.parent()))
            t.add(node, _t("fk:statute"), statute)
            level, number = key.path[-1]
            t.add(node, _t("eli:number"), _lit(number))
            t.add(node, _t("fk:subdivisionType"), concept("level", LEVEL_NAMES[level]))
            t.add(node, _t("skos:notation"), _lit(key.canonical()))
            t.add(node, _t("rdfs:label"), da(key.canonical()))
        return node

    def programme(self, p: Record) -> None:
        t, base = self.t, self.base
        node = self.programmes[p["id"]] = _iri(iris.mint("programme", base, programme=p["id"]))
        t.origin(node, p)
        t.add(node, A, _t("fk:Programme"))
        t.labels(node, p["name"])
        t.add(node, _t("skos:notation"), _lit(p["id"]))
        for key, prop in (("start", "fk:startDate"), ("end", "fk:endDate")):
            if p.get(key):
                t.add(node, _t(prop), date(p[key]))
        t.sources(node, p, base)
        t.note(node, p)
        for r in p.get("rounds", []):
            rn = _iri(iris.mint("round", base, programme=p["id"], round=r["number"]))
            t.origin(rn, r)
            t.add(rn, A, _t("fk:ApplicationRound"))
            t.add(rn, _t("fk:programme"), node)
            t.add(rn, _t("fk:roundNumber"), integer(r["number"]))
            t.add(rn, _t("rdfs:label"), da(f"Ansøgningsrunde {r['number']}"))
            t.add(rn, _t("rdfs:label"), en(f"Application round {r['number']}"))
            if r.get("deadline"):
                t.add(rn, _t("fk:deadline"), date(r["deadline"]))
            if r.get("in_force"):
                t.add(rn, _t("fk:inForceDate"), date(r["in_force"]))
            if r.get("expected"):
                t.add(rn, _t("fk:expected"), TRUE)
            t.sources(rn, r, base)

    def municipality(self, m: Record) -> None:
        t = self.t
        node = self.municipalities[m["code"]] = _iri(iris.mint("municipality", self.base, code=m["code"]))
        t.origin(node, m)
        t.add(node, A, _t("fk:Municipality"))
        t.add(node, _t("skos:notation"), _lit(m["code"]))
        t.add(node, _t("rdfs:seeAlso"), _checked(iris.municipality_register(m["code"])))
        t.add(node, _t("rdfs:label"), da(m["name"]))
        for v in m.get("variants", []) or []:
            t.add(node, _t("skos:altLabel"), da(v))
        t.sources(node, m, self.base)

    def statute(self, s: Record) -> None:
        t = self.t
        node = _iri(iris.statute(s["id"], self.base))
        t.origin(node, s)
        t.add(node, A, _t("eli:LegalResource"))
        t.add(node, _t("skos:notation"), _lit(s["id"]))
        t.labels(node, s["title"])
        t.add(node, _t("fk:statuteType"), concept("statute-type", s["type"]))
        for v in s.get("variants", []):
            t.add(node, _t("skos:altLabel"), da(v))
        if s.get("eli"):
            t.add(node, _t("rdfs:seeAlso"), _checked(s["eli"]))

    def network(self, n: Record) -> None:
        t = self.t
        node = self.networks[(n["programme"], n["number"])] = _iri(
            iris.mint("network", self.base, programme=n["programme"], network=n["number"]))
        t.origin(node, n)
        t.add(node, A, _t("fk:Network"))
        t.add(node, _t("fk:programme"), self.programmes[n["programme"]])
        t.add(node, _t("fk:number"), integer(n["number"]))
        t.labels(node, n["name"])
        for v in n.get("variants", []) or []:
            t.add(node, _t("skos:altLabel"), da(v))
        if n.get("theme"):
            t.labels(node, n["theme"], "fk:theme")
        for code in n["members"]:
            t.add(node, _t("org:hasMember"), self.municipalities[code])
        t.sources(node, n, self.base)
        t.note(node, n)

    def trial(self, tr: Record) -> None:
        t = self.t
        node = self.trials[(tr["programme"], tr["id"])]
        t.origin(node, tr)
        t.add(node, A, _t("fk:Trial"))
        t.add(node, _t("fk:programme"), self.programmes[tr["programme"]])
        if tr["network"] is not None:
            t.add(node, _t("fk:network"), self.networks[(tr["programme"], tr["network"])])
        t.labels(node, tr["name"])
        if tr.get("status"):
            t.add(node, _t("fk:status"), concept("status", tr["status"]))
        if tr.get("status_text"):
            t.add(node, _t("fk:statusText"), da(" ".join(str(tr["status_text"]).split())))
        if tr.get("start"):
            t.add(node, _t("fk:startDate"), date(tr["start"]))
        if tr.get("end"):
            t.add(node, _t("fk:endDate"), date(tr["end"]))
        for code in tr.get("municipalities", []) or []:
            t.add(node, _t("fk:municipality"), self.municipalities[code])
        if tr.get("parent"):
            t.add(node, _t("dcterms:isPartOf"), self.trials[(tr["programme"], tr["parent"])])
        if tr.get("text"):
            t.add(node, _t("fk:exemptionText"), da(" ".join(str(tr["text"]).split())))
        if tr.get("no_exemption_needed"):
            t.add(node, _t("fk:noExemptionNeeded"), TRUE)
        if tr.get("outcome"):
            t.labels(node, tr["outcome"], "fk:outcomeText")
        t.sources(node, tr, self.base)
        t.note(node, tr)
        for ex in tr.get("exemptions", []) or []:
            self.exemption(tr, node, ex)
        for lb in tr.get("legal_basis", []) or []:
            for cite in lb.get("cites", []) or []:
                t.add(node, _t("fk:legalBasis"), self.provision(self.parse(cite, lb, "cites", f"trial {tr['id']}")))
            t.add(node, _t("fk:legalBasisText"), da(" ".join(lb["text"].split())))

    def exemption(self, tr: Record, node: str, ex: Record) -> None:
        """One exemption of a trial: a node per provision it cites."""
        t, where = self.t, f"trial {tr['id']}"
        refs = [self.provision(self.parse(c, ex, "refs", where)) for c in ex.get("refs", []) or []]
        for cite in ex.get("cites", []) or []:
            p = self.parse(cite, ex, "cites", where)
            target = self.provision(p)
            en_node = _iri(iris.exemption(tr["programme"], tr["id"], p, self.base))
            t.origin(en_node, ex)
            t.add(node, _t("fk:exemptsFrom"), target)
            t.add(en_node, A, _t("fk:Exemption"))
            t.add(en_node, _t("fk:trial"), node)
            t.add(en_node, _t("fk:provision"), target)
            t.add(en_node, _t("fk:kind"), concept("kind", ex["kind"]))
            t.add(en_node, _t("fk:citation"), da(" ".join(ex["text"].split())))
            if ex.get("partial"):
                t.add(en_node, _t("fk:partial"), TRUE)
            if ex.get("unspecified") or not p.path:
                t.add(en_node, _t("fk:unspecified"), TRUE)
            for r in refs:
                t.add(en_node, _t("fk:crossReference"), r)
            t.sources(en_node, tr, self.base)

    def application(self, a: Record) -> None:
        t, base = self.t, self.base
        node = _iri(iris.mint("application", base, programme=a["programme"], application=a["id"]))
        t.origin(node, a)
        t.add(node, A, _t("fk:Application"))
        t.add(node, _t("fk:programme"), self.programmes[a["programme"]])
        if a["network"] is not None:
            t.add(node, _t("fk:network"), self.networks[(a["programme"], a["network"])])
        t.labels(node, a["name"])
        t.add(node, _t("fk:decision"), concept("decision", a["decision"]))
        if a.get("round") is not None:
            t.add(node, _t("fk:round"), _iri(iris.mint("round", base, programme=a["programme"], round=a["round"])))
        if a.get("reason"):
            t.labels(node, a["reason"], "fk:reason")
        if a.get("trial"):
            t.add(node, _t("fk:resultedIn"), self.trials[(a["programme"], a["trial"])])
        for cite in a.get("cites") or []:
            t.add(node, _t("dcterms:references"), self.provision(self.parse(cite, a, "cites", f"application {a['id']}")))
        t.sources(node, a, base)
        t.note(node, a)

    def evaluation(self, e: Record) -> None:
        t = self.t
        node = _iri(iris.evaluation(e["programme"], e["network"], e["evaluator"], e["design"]["da"], self.base))
        t.origin(node, e)
        t.add(node, A, _t("fk:Evaluation"))
        if e["network"] is not None:
            t.add(node, _t("fk:network"), self.networks[(e["programme"], e["network"])])
        t.add(node, _t("fk:evaluator"), _lit(str(e["evaluator"])))
        t.labels(node, e["design"], "fk:design")
        t.add(node, _t("rdfs:label"), da(f"Evaluering ved {e['evaluator']}"))
        t.add(node, _t("rdfs:label"), en(f"Evaluation by {e['evaluator']}"))
        for tid in e.get("trials", []) or []:
            t.add(node, _t("fk:evaluates"), self.trials[(e["programme"], tid)])
        t.sources(node, e, self.base)
        t.note(node, e)

    def outcome(self, o: Record) -> None:
        t = self.t
        node = _iri(iris.mint("outcome", self.base, outcome=o["id"]))
        t.origin(node, o)
        t.add(node, A, _t("fk:Outcome"))
        t.add(node, _t("fk:outcomeKind"), concept("outcome", o["kind"]))
        t.labels(node, o["name"])
        if o.get("text"):
            t.labels(node, o["text"], "dcterms:description")
        for key in o.get("trials", []) or []:
            programme, tid = key.split("/", 1)
            t.add(node, _t("fk:concerns"), self.trials[(programme, tid)])
        t.sources(node, o, self.base)
        t.note(node, o)

    def _observation_details(self, node, o: Record) -> None:
        """What an observation counts, names and plans, as its source gives it."""
        t = self.t
        for key, value in (o.get("count") or {}).items():
            t.add(node, _t(COUNTS[key]), integer(value))
        for code in o.get("municipalities") or []:
            t.add(node, _t("fk:involvedMunicipality"), self.municipalities[code])
        if o.get("planned"):
            t.add(node, _t("fk:plannedFor"), partial_date(o["planned"]))
        if o.get("planned_text"):
            t.add(node, _t("fk:plannedText"), da(" ".join(o["planned_text"].split())))

    def observation(self, o: Record) -> None:
        """A dated status (fk:StatusObservation) about a trial, network or programme."""
        from fkgraph.model.observations import period

        t, (kind, ref) = self.t, o["_subject"]
        node = _iri(iris.mint("observation", self.base, about=kind, subject=ref, status=o["status"], doc=o["_doc"]))
        programme, _, rest = ref.partition("/")
        about = {"trial": lambda: self.trials[(programme, rest)], "programme": lambda: self.programmes[ref],
                 "network": lambda: self.networks[(programme, int(rest or 0))]}[kind]()
        t.origin(node, o)
        t.add(node, A, _t("fk:StatusObservation"))
        t.add(node, _t("fk:about"), about)
        t.add(node, _t("fk:observedStatus"), concept("status", o["status"]))
        first, last = period(o)
        when, name, label = o.get("date") or f"{first or '…'}/{last or '…'}", o["_subject_name"] or {}, o["_status_label"]
        for lang in ("da", "en"):
            t.add(node, _t("rdfs:label"), _lit(f"{label[lang]} {when}: {name.get(lang) or name.get('da') or ref}", lang))
        if o.get("date"):
            t.add(node, _t("dcterms:date"), partial_date(o["date"]))
        for value, prop in ((first, "fk:notBefore"), (last, "fk:notAfter")):
            if value:
                t.add(node, _t(prop), date(value))
        if o.get("date_text"):
            t.add(node, _t("fk:dateText"), da(" ".join(o["date_text"].split())))
        for key, prop in (("text", "fk:statusText"), ("reason", "fk:reason")):
            t.labels(node, {lang: " ".join(v.split()) for lang, v in (o.get(key) or {}).items()}, prop)
        for key in o.get("except") or []:
            t.add(node, _t("fk:excludes"), self.trials[tuple(key.split("/", 1))])
        self._observation_details(node, o)
        t.sources(node, o, self.base)
        t.note(node, o)
