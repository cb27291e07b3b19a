"""Turn checked records into RDF in the embedded store (pyoxigraph).

Every exemption written in the records as canonical citation text is parsed here into atomic
provisions, so the graph always agrees with the citation grammar; a citation the grammar
rejects is a RecordError pointing at the record's line.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable

import pyoxigraph as ox

from . import citations, iris
from .records import Record, RecordError, Records

FK = iris.ONTOLOGY
PREFIXES = {
    "fk": FK,
    "eli": "http://data.europa.eu/eli/ontology#",
    "org": "http://www.w3.org/ns/org#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "foaf": "http://xmlns.com/foaf/0.1/",
}
LEVEL_NAMES = {"kap": "kapitel", "p": "paragraf", "stk": "stykke", "nr": "nummer", "litra": "litra", "pkt": "punktum"}


@lru_cache(maxsize=None)
def term(curie: str) -> ox.NamedNode:
    prefix, local = curie.split(":", 1)
    return ox.NamedNode(PREFIXES[prefix] + local)


A = term("rdf:type")
XSD_DATE = term("xsd:date")
XSD_INT = term("xsd:integer")
XSD_BOOL = term("xsd:boolean")


def da(text: str) -> ox.Literal:
    return ox.Literal(text, language="da")


def en(text: str) -> ox.Literal:
    return ox.Literal(text, language="en")


def date(text: str) -> ox.Literal:
    return ox.Literal(text, datatype=XSD_DATE)


def integer(n: int) -> ox.Literal:
    return ox.Literal(str(int(n)), datatype=XSD_INT)


TRUE = ox.Literal("true", datatype=XSD_BOOL)


@lru_cache(maxsize=None)
def concept(scheme: str, value: str) -> ox.NamedNode:
    return ox.NamedNode(iris.concept(scheme, value))


class Built:
    """The built graph and what a caller needs to talk about it.

    `records` may be given as a function: a graph loaded from the build cache reads its records
    only if a caller asks for them (most queries never do).
    """

    def __init__(self, store: ox.Store, records: "Records | Callable[[], Records]", base: str):
        self.store, self._records, self.base = store, records, base

    @property
    def records(self) -> Records:
        if callable(self._records):
            self._records = self._records()
        return self._records

    def __len__(self) -> int:
        return len(self.store)


class _Triples:
    """Collects triples as N-Triples lines (pyoxigraph writes each term's escaped form) and
    loads them in one bulk call: about four times faster than building Quad objects."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.excerpts: dict[tuple, ox.NamedNode] = {}

    def add(self, s, p, o) -> None:
        self.lines.append(f"{s} {p} {o} .\n")

    def store(self) -> ox.Store:
        store = ox.Store()
        store.bulk_load("".join(self.lines).encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
        return store

    def labels(self, s, names: dict, prop: str = "rdfs:label") -> None:
        for lang, text in sorted(names.items()):
            self.add(s, term(prop), ox.Literal(text, language=lang))

    def sources(self, s, rec: Record, base: str) -> None:
        for src in rec["_sources"]:
            key = (src["doc"], src["start"], src["end"])
            excerpt = self.excerpts.get(key)
            if excerpt is not None:
                self.add(s, term("prov:wasDerivedFrom"), excerpt)
                continue
            excerpt = self.excerpts[key] = ox.NamedNode(iris.excerpt(src["doc"], src["start"], src["end"], base))
            self.add(s, term("prov:wasDerivedFrom"), excerpt)
            self.add(excerpt, A, term("fk:SourceExcerpt"))
            self.add(excerpt, term("dcterms:isPartOf"), ox.NamedNode(iris.mint("document", base, doc=src["doc"])))
            self.add(excerpt, term("fk:startLine"), integer(src["start"]))
            self.add(excerpt, term("fk:endLine"), integer(src["end"]))
            self.add(excerpt, term("rdfs:label"), en(f"seed {src['doc']}, lines {src['start']}-{src['end']}"))

    def note(self, s, rec: Record) -> None:
        if rec.get("note"):
            self.add(s, term("skos:note"), en(str(rec["note"]).strip()))


def statute_index(records: Records) -> citations.StatuteIndex:
    return citations.StatuteIndex.from_records(records.statutes)


def _parse(cite: str, index: citations.StatuteIndex, rec: Record, key: str, where: str,
           _cache: dict = {}) -> citations.Provision:
    """parse_one, memoised per index: the same canonical citation recurs across many trials."""
    found = _cache.get((id(index), cite))
    if found is not None:
        return found
    try:
        found = _cache[(id(index), cite)] = citations.parse_one(cite, index)
        return found
    except citations.CitationError as e:
        raise rec.error(f"{where}: citation {cite!r} cannot be read ({e}); write it canonically, e.g. \"SL § 52, stk. 3\", with a statute id from statutes.yaml", key) from None


def build(records: Records, base: str = iris.DEFAULT_BASE) -> Built:
    """Build the whole graph from records into a fresh in-memory store."""
    if not base.endswith("/"):
        base += "/"
    t = _Triples()
    index = statute_index(records)
    provisions: dict[citations.Provision, ox.NamedNode] = {}

    def provision_node(p: citations.Provision) -> ox.NamedNode:
        key = citations.Provision(p.statute, p.path)
        if key in provisions:
            return provisions[key]
        node = ox.NamedNode(iris.provision(key, base))
        provisions[key] = node
        if key.path:
            parent = key.parent()
            t.add(node, A, term("eli:LegalResourceSubdivision"))
            t.add(node, term("eli:is_part_of"), provision_node(parent))
            t.add(node, term("fk:statute"), ox.NamedNode(iris.statute(key.statute, base)))
            level, number = key.path[-1]
            t.add(node, term("eli:number"), ox.Literal(number))
            t.add(node, term("fk:subdivisionType"), concept("level", LEVEL_NAMES[level]))
            t.add(node, term("skos:notation"), ox.Literal(key.canonical()))
            t.add(node, term("rdfs:label"), da(key.canonical()))
        return node

    for doc in records.sources:
        node = ox.NamedNode(iris.mint("document", base, doc=doc["id"]))
        t.add(node, A, term("fk:SourceDocument"))
        t.add(node, term("skos:notation"), ox.Literal(doc["id"]))
        t.labels(node, doc["title"], "dcterms:title")
        t.add(node, term("fk:fileName"), ox.Literal(doc["file"]))
        if doc.get("publisher"):
            t.add(node, term("dcterms:publisher"), ox.Literal(str(doc["publisher"])))
        if doc.get("issued"):
            t.add(node, term("dcterms:issued"), date(str(doc["issued"])))

    programme_nodes = {}
    for p in records.programmes:
        node = programme_nodes[p["id"]] = ox.NamedNode(iris.mint("programme", base, programme=p["id"]))
        t.add(node, A, term("fk:Programme"))
        t.labels(node, p["name"])
        t.add(node, term("skos:notation"), ox.Literal(p["id"]))
        t.add(node, term("fk:startDate"), date(p["start"]))
        t.add(node, term("fk:endDate"), date(p["end"]))
        t.sources(node, p, base)
        t.note(node, p)
        for r in p.get("rounds", []):
            rn = ox.NamedNode(iris.mint("round", base, programme=p["id"], round=r["number"]))
            t.add(rn, A, term("fk:ApplicationRound"))
            t.add(rn, term("fk:programme"), node)
            t.add(rn, term("fk:roundNumber"), integer(r["number"]))
            t.add(rn, term("rdfs:label"), da(f"Ansøgningsrunde {r['number']}"))
            t.add(rn, term("rdfs:label"), en(f"Application round {r['number']}"))
            if r.get("deadline"):
                t.add(rn, term("fk:deadline"), date(r["deadline"]))
            if r.get("in_force"):
                t.add(rn, term("fk:inForceDate"), date(r["in_force"]))
            if r.get("expected"):
                t.add(rn, term("fk:expected"), TRUE)
            t.sources(rn, r, base)

    muni_nodes = {}
    for m in records.municipalities:
        node = muni_nodes[m["code"]] = ox.NamedNode(iris.mint("municipality", base, code=m["code"]))
        t.add(node, A, term("fk:Municipality"))
        t.add(node, term("skos:notation"), ox.Literal(m["code"]))
        t.add(node, term("rdfs:label"), da(m["name"]))
        t.sources(node, m, base)

    for s in records.statutes:
        node = ox.NamedNode(iris.statute(s["id"], base))
        t.add(node, A, term("eli:LegalResource"))
        t.add(node, term("skos:notation"), ox.Literal(s["id"]))
        t.labels(node, s["title"])
        t.add(node, term("fk:statuteType"), concept("statute-type", s["type"]))
        for v in s.get("variants", []):
            t.add(node, term("skos:altLabel"), da(v))
        if s.get("eli"):
            t.add(node, term("rdfs:seeAlso"), ox.NamedNode(s["eli"]))

    network_nodes = {}
    for n in records.networks:
        node = network_nodes[(n["programme"], n["number"])] = ox.NamedNode(
            iris.mint("network", base, programme=n["programme"], network=n["number"]))
        t.add(node, A, term("fk:Network"))
        t.add(node, term("fk:programme"), programme_nodes[n["programme"]])
        t.add(node, term("fk:number"), integer(n["number"]))
        t.labels(node, n["name"])
        for v in n.get("variants", []) or []:
            t.add(node, term("skos:altLabel"), da(v))
        if n.get("theme"):
            t.labels(node, n["theme"], "fk:theme")
        for code in n["members"]:
            t.add(node, term("org:hasMember"), muni_nodes[code])
        t.sources(node, n, base)
        t.note(node, n)

    trial_nodes = {(tr["programme"], tr["id"]): ox.NamedNode(iris.mint("trial", base, programme=tr["programme"], trial=tr["id"]))
                   for tr in records.trials}
    for tr in records.trials:
        node = trial_nodes[(tr["programme"], tr["id"])]
        where = f"trial {tr['id']}"
        t.add(node, A, term("fk:Trial"))
        t.add(node, term("fk:programme"), programme_nodes[tr["programme"]])
        if tr["network"] is not None:
            t.add(node, term("fk:network"), network_nodes[(tr["programme"], tr["network"])])
        t.labels(node, tr["name"])
        if tr.get("status"):
            t.add(node, term("fk:status"), concept("status", tr["status"]))
        if tr.get("status_text"):
            t.add(node, term("fk:statusText"), da(" ".join(str(tr["status_text"]).split())))
        if tr.get("start"):
            t.add(node, term("fk:startDate"), date(tr["start"]))
        if tr.get("end"):
            t.add(node, term("fk:endDate"), date(tr["end"]))
        for code in tr.get("municipalities", []) or []:
            t.add(node, term("fk:municipality"), muni_nodes[code])
        if tr.get("parent"):
            t.add(node, term("dcterms:isPartOf"), trial_nodes[(tr["programme"], tr["parent"])])
        if tr.get("text"):
            t.add(node, term("fk:exemptionText"), da(" ".join(str(tr["text"]).split())))
        if tr.get("no_exemption_needed"):
            t.add(node, term("fk:noExemptionNeeded"), TRUE)
        if tr.get("outcome"):
            t.labels(node, tr["outcome"], "fk:outcomeText")
        t.sources(node, tr, base)
        t.note(node, tr)
        for ex in tr.get("exemptions", []) or []:
            refs = [provision_node(_parse(c, index, ex, "refs", where)) for c in ex.get("refs", []) or []]
            for cite in ex.get("cites", []) or []:
                p = _parse(cite, index, ex, "cites", where)
                target = provision_node(p)
                en_node = ox.NamedNode(iris.exemption(tr["programme"], tr["id"], p, base))
                t.add(node, term("fk:exemptsFrom"), target)
                t.add(en_node, A, term("fk:Exemption"))
                t.add(en_node, term("fk:trial"), node)
                t.add(en_node, term("fk:provision"), target)
                t.add(en_node, term("fk:kind"), concept("kind", ex["kind"]))
                t.add(en_node, term("fk:citation"), da(" ".join(ex["text"].split())))
                if ex.get("partial"):
                    t.add(en_node, term("fk:partial"), TRUE)
                if ex.get("unspecified") or not p.path:
                    t.add(en_node, term("fk:unspecified"), TRUE)
                for r in refs:
                    t.add(en_node, term("fk:crossReference"), r)
                t.sources(en_node, tr, base)
        for lb in tr.get("legal_basis", []) or []:
            for cite in lb.get("cites", []) or []:
                p = _parse(cite, index, lb, "cites", where)
                target = provision_node(p)
                t.add(node, term("fk:legalBasis"), target)
            t.add(node, term("fk:legalBasisText"), da(" ".join(lb["text"].split())))

    for a in records.applications:
        node = ox.NamedNode(iris.mint("application", base, programme=a["programme"], application=a["id"]))
        t.add(node, A, term("fk:Application"))
        t.add(node, term("fk:programme"), programme_nodes[a["programme"]])
        if a["network"] is not None:
            t.add(node, term("fk:network"), network_nodes[(a["programme"], a["network"])])
        t.labels(node, a["name"])
        t.add(node, term("fk:decision"), concept("decision", a["decision"]))
        if a.get("round") is not None:
            t.add(node, term("fk:round"), ox.NamedNode(iris.mint("round", base, programme=a["programme"], round=a["round"])))
        if a.get("reason"):
            t.labels(node, a["reason"], "fk:reason")
        if a.get("trial"):
            t.add(node, term("fk:resultedIn"), trial_nodes[(a["programme"], a["trial"])])
        t.sources(node, a, base)
        t.note(node, a)

    for e in records.evaluations:
        node = ox.NamedNode(iris.evaluation(e["programme"], e["network"], e["evaluator"], e["design"]["da"], base))
        t.add(node, A, term("fk:Evaluation"))
        if e["network"] is not None:
            t.add(node, term("fk:network"), network_nodes[(e["programme"], e["network"])])
        t.add(node, term("fk:evaluator"), ox.Literal(str(e["evaluator"])))
        t.labels(node, e["design"], "fk:design")
        t.add(node, term("rdfs:label"), da(f"Evaluering ved {e['evaluator']}"))
        t.add(node, term("rdfs:label"), en(f"Evaluation by {e['evaluator']}"))
        for tid in e.get("trials", []) or []:
            t.add(node, term("fk:evaluates"), trial_nodes[(e["programme"], tid)])
        t.sources(node, e, base)
        t.note(node, e)

    for o in records.outcomes:
        node = ox.NamedNode(iris.mint("outcome", base, outcome=o["id"]))
        t.add(node, A, term("fk:Outcome"))
        t.add(node, term("fk:outcomeKind"), concept("outcome", o["kind"]))
        t.labels(node, o["name"])
        if o.get("text"):
            t.labels(node, o["text"], "dcterms:description")
        for key in o.get("trials", []) or []:
            programme, tid = key.split("/", 1)
            t.add(node, term("fk:concerns"), trial_nodes[(programme, tid)])
        t.sources(node, o, base)
        t.note(node, o)

    return Built(store=t.store(), records=records, base=base)


def from_files(paths: Iterable[str | Path]) -> ox.Store:
    """Load RDF files (format from the extension) into a fresh store, for `validate FILE…`."""
    store = ox.Store()
    for path in paths:
        fmt = ox.RdfFormat.from_extension(Path(path).suffix.lstrip(".") or "ttl")
        if fmt is None:
            raise ValueError(f"{path}: unknown RDF file extension; use .ttl, .nt, .nq, .trig, .jsonld or .rdf")
        with open(path, "rb") as f:
            store.bulk_load(f, format=fmt, to_graph=ox.DefaultGraph())
    return store


def label(store: ox.Store, node: ox.NamedNode, lang: str = "da") -> str | None:
    """A node's label in `lang` (or any), for messages."""
    best = None
    for q in store.quads_for_pattern(node, term("rdfs:label"), None, None):
        if isinstance(q.object, ox.Literal):
            if q.object.language == lang:
                return q.object.value
            best = best or q.object.value
    return best
