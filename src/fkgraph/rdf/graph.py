"""Turn checked records into RDF in the embedded store (pyoxigraph).

Every exemption written in the records as canonical citation text is parsed here into atomic
provisions, so the graph always agrees with the citation grammar; a citation the grammar
rejects is a RecordError pointing at the record's line.
"""
from __future__ import annotations

from dataclasses import dataclass
import re
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

import pyoxigraph as ox

from fkgraph.model import iris

if TYPE_CHECKING:  # loading a cached graph needs neither the YAML reader nor the grammar
    from fkgraph.model import citations
    from fkgraph.model.records import Record, Records

FK = iris.ONTOLOGY

# A long step reports how far it has come as progress(stage, done, total); the command line draws
# that as a bar on a terminal, and a caller that passes nothing pays nothing.
Progress = Callable[[str, int, int], None]
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
    "dc": "http://purl.org/dc/elements/1.1/",
}
LEVEL_NAMES = {"kap": "kapitel", "p": "paragraf", "stk": "stykke", "nr": "nummer", "litra": "litra", "pkt": "punktum"}


@lru_cache(maxsize=None)
def term(curie: str) -> ox.NamedNode:
    prefix, local = curie.split(":", 1)
    return ox.NamedNode(PREFIXES[prefix] + local)


# ---- terms as N-Triples text -------------------------------------------------------------------
# The build writes every triple as one N-Triples line and loads them in one call: building
# pyoxigraph term objects for millions of triples costs more than the load itself. Every IRI is
# minted by iris (checked segments under a checked base) or checked by pyoxigraph once (`_checked`),
# and literals are escaped here, so the lines can be loaded without re-checking (`lenient`).

@lru_cache(maxsize=None)
def _t(curie: str) -> str:
    prefix, local = curie.split(":", 1)
    return f"<{PREFIXES[prefix]}{local}>"


def _iri(iri: str) -> str:
    return f"<{iri}>"


def _checked(iri: str) -> str:
    """An IRI that comes from a record as written (not minted): pyoxigraph checks it."""
    return str(ox.NamedNode(iri))


_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})
_LANG = re.compile(r"^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$")


def _lit(text: str, lang: str | None = None) -> str:
    quoted = '"' + str(text).translate(_ESCAPES) + '"'
    if lang is None:
        return quoted
    if not _LANG.match(lang):
        raise ValueError(f"{lang!r} is not a language tag (BCP 47, e.g. da or en)")
    return f"{quoted}@{lang}"


def da(text: str) -> str:
    return _lit(text, "da")


def en(text: str) -> str:
    return _lit(text, "en")


_DATE = re.compile(r"^-?[0-9]{4,}-[0-9]{2}-[0-9]{2}$")


def date(text: str) -> str:
    if not _DATE.match(str(text)):
        raise ValueError(f"{text!r} is not an xsd:date (YYYY-MM-DD)")
    return f'"{text}"^^<{PREFIXES["xsd"]}date>'


def integer(n: int) -> str:
    return f'"{int(n)}"^^<{PREFIXES["xsd"]}integer>'


A = _t("rdf:type")
TRUE = f'"true"^^<{PREFIXES["xsd"]}boolean>'


@lru_cache(maxsize=None)
def concept(scheme: str, value: str) -> str:
    return _iri(iris.concept(scheme, value))


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


def ordered_store(lines: Iterable[str], progress: Progress | None = None) -> ox.Store:
    """A store loaded so that its dumps come out sorted (N-Triples byte order: by subject, then
    predicate, then object), which makes every export deterministic and grouped by subject
    without sorting millions of terms in Python at export time.

    pyoxigraph's in-memory store (0.5) keeps its triples in one list, newest first, and every dump
    walks that list: loading the sorted lines last-first gives sorted dumps. test_export checks
    that this still holds. `lines` are N-Triples lines ending in a newline."""
    groups: dict[str, bytearray] = {}
    for line in lines:
        subject, rest = line.split(" ", 1)  # a subject (an IRI or a blank node) holds no space
        group = groups.get(subject)
        if group is None:
            group = groups[subject] = bytearray()
        group += rest.encode("utf-8")
    return grouped_store(groups, progress)


def grouped_store(groups: dict[str, bytearray], progress: Progress | None = None) -> ox.Store:
    """`ordered_store` for triples already grouped by subject: "<s>" → the UTF-8 of its
    "<p> <o> .\n" lines, in any order, duplicates allowed. The groups are consumed.

    Sorting the subjects, then each subject's few predicate-object lines, gives the order of
    sorting the whole lines (a subject ends in ">" or is a blank node label, so no subject is a
    prefix that could compare differently), with far fewer comparisons of long IRIs. A group is
    one buffer rather than a list of strings (a third of the memory at 100k synthetic trials).

    The sorted lines go to a temporary file, and the store loads that as `load_sorted` does.
    Loading straight from the groups held them and the growing store at once: freed a few at a
    time, their small buffers stayed resident until nearly all were gone (a 1.68 GB peak for a
    1.05 GB store at 100k synthetic trials, the records included; 1.60 GB through the file)."""
    subjects = sorted(groups)
    total = sum(group.count(b"\n") for group in groups.values())
    with tempfile.TemporaryDirectory(prefix="fkgraph-build-") as tmp:
        path = Path(tmp) / "sorted.nt"
        with open(path, "wb") as f:
            reader = _GroupedReader(subjects, groups, total, progress)
            while block := reader.read():
                f.write(block)
        # load, not bulk_load: as fast on the in-memory store, and bulk_load's batches held
        # another 0.2 KB per triple while it ran (623 MB peak for a 416 MB store at 30k trials)
        return load_sorted(path, progress)


_LINE = re.compile(rb"[^\n]*\n")


class _GroupedReader:
    """A binary file over the groups in sorted order, each group's lines sorted without
    duplicates; a chunk of about `chunk` lines at a time, each group dropped once read. `total`
    counts the lines as given (duplicates too), for progress ("sorting")."""

    def __init__(self, subjects: list[str], groups: dict[str, bytearray], total: int,
                 progress: Progress | None = None, chunk: int = 20_000):
        self.subjects, self.groups, self.total, self.progress, self.chunk = iter(subjects), groups, total, progress, chunk
        self.done, self.block, self.pos = 0, b"", 0

    def _next_block(self) -> bool:
        if self.progress:
            self.progress("sorting", self.done, self.total)
        parts, n = [], 0
        for s in self.subjects:
            lines = _LINE.findall(self.groups.pop(s))  # with their newlines, which sort as in whole lines
            n += len(lines)
            if len(lines) > 1:
                lines = sorted(set(lines))
            parts.append((s + " ").encode("utf-8").join([b"", *lines]))  # "<s> <p1> <o1> .\n<s> <p2> …"
            if n >= self.chunk:
                break
        self.block, self.pos = b"".join(parts), 0
        self.done += n
        return bool(self.block)

    def read(self, size: int = -1) -> bytes:
        if self.pos >= len(self.block) and not self._next_block():
            if self.progress:
                self.progress("sorting", self.total, self.total)
            return b""
        end = len(self.block) if size is None or size < 0 else self.pos + size
        out = self.block[self.pos:end]
        self.pos += len(out)
        return out


def load_sorted(path: str | Path, progress: Progress | None = None) -> ox.Store:
    """Load a sorted N-Triples file (a build cache, a dump fkgraph wrote) so that the store
    dumps it in the same order (see `ordered_store`): the file is read last line first, a block
    at a time, so the load holds no copy of the file in Python."""
    store = ox.Store()
    with open(path, "rb") as f:
        store.load(_ReversedLines(f, progress=progress), format=ox.RdfFormat.N_TRIPLES, lenient=True)  # see grouped_store
    return store


class _ReversedLines:
    """A binary file over the lines of another, last line first."""

    def __init__(self, f, block: int = 1 << 22, progress: Progress | None = None):
        self.f, self.block, self.progress = f, block, progress
        self.end = self.size = f.seek(0, 2)
        self.carry = b""          # the start of a line cut by the last block read, for the next one
        self.out, self.pos = b"", 0

    def _next_block(self) -> bool:
        if self.progress:  # bytes read so far, of the file's size
            self.progress("loading", self.size - self.end, self.size)
        while self.end > 0:
            start = max(0, self.end - self.block)
            self.f.seek(start)
            chunk = self.f.read(self.end - start) + self.carry
            self.end = start
            if start > 0:
                cut = chunk.find(b"\n")
                if cut < 0:  # a line longer than a block: read further back
                    self.carry = chunk
                    continue
                self.carry, chunk = chunk[:cut + 1], chunk[cut + 1:]
            else:
                self.carry = b""
            if chunk and not chunk.endswith(b"\n"):
                chunk += b"\n"
            lines = chunk.splitlines(keepends=True)
            lines.reverse()
            self.out, self.pos = b"".join(lines), 0
            if self.out:
                return True
        return False

    def read(self, size: int = -1) -> bytes:
        if self.pos >= len(self.out) and not self._next_block():
            return b""
        end = len(self.out) if size is None or size < 0 else self.pos + size
        piece = self.out[self.pos:end]
        self.pos += len(piece)
        return piece


def partial_date(text: str) -> str:
    """A date as precise as its source: xsd:gYear, xsd:gYearMonth or xsd:date."""
    kind = {4: "gYear", 7: "gYearMonth"}.get(len(text))
    return f'"{text}"^^<{PREFIXES["xsd"]}{kind}>' if kind else date(text)


def citation_text(doc: Record) -> str:
    """A reference a reader can look up: creators, title, publisher, date, identifier, URL."""
    parts = [", ".join(doc.get("creators") or []), doc["title"]["da"], doc.get("publisher"),
             doc.get("issued"), doc.get("identifier"), doc.get("url")]
    return ". ".join(str(p).rstrip(".") for p in parts if p) + "."


def source_document(t: "_Triples", doc: Record, base: str) -> None:
    """A source as a publication (DCTERMS with DC elements for the names it gives as text);
    the extracted text's file name stays in the records."""
    node = _iri(iris.mint("document", base, doc=doc["id"]))
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


class _Triples:
    """Collects triples in N-Triples syntax, grouped by subject, for `grouped_store`."""

    def __init__(self) -> None:
        self.groups: dict[str, bytearray] = {}
        self.excerpts: dict[tuple, str] = {}

    def add(self, s: str, p: str, o: str) -> None:
        group = self.groups.get(s)
        if group is None:
            group = self.groups[s] = bytearray()
        group += f"{p} {o} .\n".encode("utf-8")

    def store(self, progress: Progress | None = None) -> ox.Store:
        groups, self.groups = self.groups, {}
        return grouped_store(groups, progress)

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


def statute_index(records: Records) -> citations.StatuteIndex:
    from fkgraph.model import citations

    return citations.StatuteIndex.from_records(records.statutes)


def _parse(cite: str, index: citations.StatuteIndex, rec: Record, key: str, where: str,
           memo: dict) -> citations.Provision:
    """parse_one, memoised for one build (`memo`): the same canonical citation recurs across many
    trials. (It was memoised per id() of the index for the whole process, which kept every
    build's citations alive and could hand a later index, given a freed one's id, stale parses.)"""
    found = memo.get(cite)
    if found is not None:
        return found
    from fkgraph.model import citations

    try:
        found = memo[cite] = citations.parse_one(cite, index)
        return found
    except citations.CitationError as e:
        raise rec.error(f"{where}: citation {cite!r} cannot be read ({e}); write it canonically, e.g. \"SL § 52, stk. 3\", with a statute id from statutes.yaml", key) from None


def build(records: Records, base: str = iris.DEFAULT_BASE, progress: Progress | None = None) -> Built:
    """Build the whole graph from records into a fresh in-memory store (`progress`: see Progress;
    the trials, then sorting and loading the triples)."""
    from fkgraph.model import citations

    if not base.endswith("/"):
        base += "/"
    _checked(base)  # minted IRIs are checked segments under it
    t = _Triples()
    index = statute_index(records)
    memo: dict = {}
    provisions: dict[tuple, str] = {}

    def provision_node(p: citations.Provision) -> str:
        found = provisions.get((p.statute, p.path))  # a plain key: Provision() re-checks its path
        if found is not None:
            return found
        key = citations.Provision(p.statute, p.path)
        node = provisions[(p.statute, p.path)] = _iri(iris.provision(key, base))
        if key.path:
            parent = key.parent()
            t.add(node, A, _t("eli:LegalResourceSubdivision"))
            t.add(node, _t("eli:is_part_of"), provision_node(parent))
            t.add(node, _t("fk:statute"), _iri(iris.statute(key.statute, base)))
            level, number = key.path[-1]
            t.add(node, _t("eli:number"), _lit(number))
            t.add(node, _t("fk:subdivisionType"), concept("level", LEVEL_NAMES[level]))
            t.add(node, _t("skos:notation"), _lit(key.canonical()))
            t.add(node, _t("rdfs:label"), da(key.canonical()))
        return node

    for doc in records.sources:
        source_document(t, doc, base)

    programme_nodes = {}
    for p in records.programmes:
        node = programme_nodes[p["id"]] = _iri(iris.mint("programme", base, programme=p["id"]))
        t.add(node, A, _t("fk:Programme"))
        t.labels(node, p["name"])
        t.add(node, _t("skos:notation"), _lit(p["id"]))
        t.add(node, _t("fk:startDate"), date(p["start"]))
        t.add(node, _t("fk:endDate"), date(p["end"]))
        t.sources(node, p, base)
        t.note(node, p)
        for r in p.get("rounds", []):
            rn = _iri(iris.mint("round", base, programme=p["id"], round=r["number"]))
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

    muni_nodes = {}
    for m in records.municipalities:
        node = muni_nodes[m["code"]] = _iri(iris.mint("municipality", base, code=m["code"]))
        t.add(node, A, _t("fk:Municipality"))
        t.add(node, _t("skos:notation"), _lit(m["code"]))
        t.add(node, _t("rdfs:label"), da(m["name"]))
        t.sources(node, m, base)

    for s in records.statutes:
        node = _iri(iris.statute(s["id"], base))
        t.add(node, A, _t("eli:LegalResource"))
        t.add(node, _t("skos:notation"), _lit(s["id"]))
        t.labels(node, s["title"])
        t.add(node, _t("fk:statuteType"), concept("statute-type", s["type"]))
        for v in s.get("variants", []):
            t.add(node, _t("skos:altLabel"), da(v))
        if s.get("eli"):
            t.add(node, _t("rdfs:seeAlso"), _checked(s["eli"]))

    network_nodes = {}
    for n in records.networks:
        node = network_nodes[(n["programme"], n["number"])] = _iri(
            iris.mint("network", base, programme=n["programme"], network=n["number"]))
        t.add(node, A, _t("fk:Network"))
        t.add(node, _t("fk:programme"), programme_nodes[n["programme"]])
        t.add(node, _t("fk:number"), integer(n["number"]))
        t.labels(node, n["name"])
        for v in n.get("variants", []) or []:
            t.add(node, _t("skos:altLabel"), da(v))
        if n.get("theme"):
            t.labels(node, n["theme"], "fk:theme")
        for code in n["members"]:
            t.add(node, _t("org:hasMember"), muni_nodes[code])
        t.sources(node, n, base)
        t.note(node, n)

    trial_nodes = {(tr["programme"], tr["id"]): _iri(iris.mint("trial", base, programme=tr["programme"], trial=tr["id"]))
                   for tr in records.trials}
    for i, tr in enumerate(records.trials):
        if progress and i % 1000 == 0:
            progress("building", i, len(records.trials))
        node = trial_nodes[(tr["programme"], tr["id"])]
        where = f"trial {tr['id']}"
        t.add(node, A, _t("fk:Trial"))
        t.add(node, _t("fk:programme"), programme_nodes[tr["programme"]])
        if tr["network"] is not None:
            t.add(node, _t("fk:network"), network_nodes[(tr["programme"], tr["network"])])
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
            t.add(node, _t("fk:municipality"), muni_nodes[code])
        if tr.get("parent"):
            t.add(node, _t("dcterms:isPartOf"), trial_nodes[(tr["programme"], tr["parent"])])
        if tr.get("text"):
            t.add(node, _t("fk:exemptionText"), da(" ".join(str(tr["text"]).split())))
        if tr.get("no_exemption_needed"):
            t.add(node, _t("fk:noExemptionNeeded"), TRUE)
        if tr.get("outcome"):
            t.labels(node, tr["outcome"], "fk:outcomeText")
        t.sources(node, tr, base)
        t.note(node, tr)
        for ex in tr.get("exemptions", []) or []:
            refs = [provision_node(_parse(c, index, ex, "refs", where, memo)) for c in ex.get("refs", []) or []]
            for cite in ex.get("cites", []) or []:
                p = _parse(cite, index, ex, "cites", where, memo)
                target = provision_node(p)
                en_node = _iri(iris.exemption(tr["programme"], tr["id"], p, base))
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
                t.sources(en_node, tr, base)
        for lb in tr.get("legal_basis", []) or []:
            for cite in lb.get("cites", []) or []:
                p = _parse(cite, index, lb, "cites", where, memo)
                target = provision_node(p)
                t.add(node, _t("fk:legalBasis"), target)
            t.add(node, _t("fk:legalBasisText"), da(" ".join(lb["text"].split())))

    if progress:
        progress("building", len(records.trials), len(records.trials))
    for a in records.applications:
        node = _iri(iris.mint("application", base, programme=a["programme"], application=a["id"]))
        t.add(node, A, _t("fk:Application"))
        t.add(node, _t("fk:programme"), programme_nodes[a["programme"]])
        if a["network"] is not None:
            t.add(node, _t("fk:network"), network_nodes[(a["programme"], a["network"])])
        t.labels(node, a["name"])
        t.add(node, _t("fk:decision"), concept("decision", a["decision"]))
        if a.get("round") is not None:
            t.add(node, _t("fk:round"), _iri(iris.mint("round", base, programme=a["programme"], round=a["round"])))
        if a.get("reason"):
            t.labels(node, a["reason"], "fk:reason")
        if a.get("trial"):
            t.add(node, _t("fk:resultedIn"), trial_nodes[(a["programme"], a["trial"])])
        t.sources(node, a, base)
        t.note(node, a)

    for e in records.evaluations:
        node = _iri(iris.evaluation(e["programme"], e["network"], e["evaluator"], e["design"]["da"], base))
        t.add(node, A, _t("fk:Evaluation"))
        if e["network"] is not None:
            t.add(node, _t("fk:network"), network_nodes[(e["programme"], e["network"])])
        t.add(node, _t("fk:evaluator"), _lit(str(e["evaluator"])))
        t.labels(node, e["design"], "fk:design")
        t.add(node, _t("rdfs:label"), da(f"Evaluering ved {e['evaluator']}"))
        t.add(node, _t("rdfs:label"), en(f"Evaluation by {e['evaluator']}"))
        for tid in e.get("trials", []) or []:
            t.add(node, _t("fk:evaluates"), trial_nodes[(e["programme"], tid)])
        t.sources(node, e, base)
        t.note(node, e)

    for o in records.outcomes:
        node = _iri(iris.mint("outcome", base, outcome=o["id"]))
        t.add(node, A, _t("fk:Outcome"))
        t.add(node, _t("fk:outcomeKind"), concept("outcome", o["kind"]))
        t.labels(node, o["name"])
        if o.get("text"):
            t.labels(node, o["text"], "dcterms:description")
        for key in o.get("trials", []) or []:
            programme, tid = key.split("/", 1)
            t.add(node, _t("fk:concerns"), trial_nodes[(programme, tid)])
        t.sources(node, o, base)
        t.note(node, o)

    # the lookups are dropped before the store grows: at 100k trials they are tens of MB at peak
    del memo, provisions, programme_nodes, muni_nodes, network_nodes, trial_nodes, index
    t.excerpts.clear()
    iris.forget()
    return Built(store=t.store(progress), records=records, base=base)


def from_files(paths: Iterable[str | Path]) -> ox.Store:
    """Load RDF files (format from the extension) into a fresh store, for `validate FILE…`."""
    store = ox.Store()
    for path in paths:
        fmt = ox.RdfFormat.from_extension(Path(path).suffix.lstrip(".") or "ttl")
        if fmt is None:
            raise ValueError(f"{path}: unknown RDF file extension; use .ttl, .nt, .nq, .trig, .jsonld or .rdf")
        with open(path, "rb") as f:
            store.load(f, format=fmt, to_graph=ox.DefaultGraph())  # less memory than bulk_load: see grouped_store
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
