"""The dataset as a publication: the dumps, their DCAT-AP 3 and VoID descriptions, and `publish`,
which writes them all into one folder.

Everything is deterministic: the same data gives the same bytes, and the dates come from
`data/release.yaml` (or $SOURCE_DATE_EPOCH), never from the clock. Layout written by `publish`
(the static site of fkgraph.publishing.website uses the same layout):

    dump/fkgraph.ttl, dump/fkgraph.nt, dump/fkgraph.jsonld   the whole graph (and .gz copies)
    dump/context.jsonld                                      the JSON-LD context, as a file
    dcat.ttl                                                 DCAT-AP 3 catalogue
    void.ttl, .well-known/void                               VoID description
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable

import pyoxigraph as ox

from fkgraph.fsio import gzip_bytes, write_bytes
from fkgraph.model import iris
from fkgraph.publishing.release import Release, load_release, source_date_epoch
from fkgraph.rdf.terms import PREFIXES, compact
from fkgraph.sparql.binding import internal
from fkgraph.rdf.serialize import (CONTEXT_NAME, DUMP_NAME, FORMATS, RDF_TYPE, ExportError, jsonld_context,
                                   serialize, turtle)

#: Prefixes of the catalogue vocabularies, added to the project's own for dcat.ttl and void.ttl.
PUBLISH_PREFIXES = {
    **PREFIXES,
    "dcat": "http://www.w3.org/ns/dcat#",
    "dcatap": "http://data.europa.eu/r5r/",
    "void": "http://rdfs.org/ns/void#",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "spdx": "http://spdx.org/rdf/terms#",
    "adms": "http://www.w3.org/ns/adms#",
    "sd": "http://www.w3.org/ns/sparql-service-description#",
}

EU = "http://publications.europa.eu/resource/authority/"
IANA = "http://www.iana.org/assignments/media-types/"
LICENCE = EU + "licence/CC_BY_4_0"
TITLE = {"da": "fkgraph: frikommuneforsøgene og de lovbestemmelser, de fritog fra",
         "en": "fkgraph: the Danish free-municipality trials and the statutory provisions they set aside"}
SUMMARY = {  # what the graph is (the site's index shows this, then release.yaml's statement)
    "da": ("Vidensgraf over de danske frikommuneforsøg: forsøg, frikommunenetværk, kommuner, ansøgninger og "
           "de love, bekendtgørelser og bestemmelser (ned til stykke og punktum), som hvert forsøg blev fritaget "
           "fra; hvert faktum peger på det dokument og de linjer, det stammer fra."),
    "en": ("Knowledge graph of the Danish free-municipality trials: trials, networks, municipalities, "
           "applications and the acts, executive orders and provisions (down to subsection and sentence) each "
           "trial was exempted from; every fact points at the document and lines it came from."),
}
COVERAGE = {  # what it covers, for a data portal that shows only the description
    "da": ("Frikommuneforsøg II (2016-2020) er med i sin helhed, som VIVEs statusrapport fra februar 2018 "
           "beskriver det, frikommuneforsøg I (2012-2015) kun gennem tre eksempler; forsøgenes status er som i "
           "februar 2018."),
    "en": ("It covers programme II (2016-2020) in full as VIVE's status report of February 2018 describes it, "
           "and programme I (2012-2015) only through three examples; the trials' statuses are as of February 2018."),
}
DESCRIPTION = {lang: f"{SUMMARY[lang]} {COVERAGE[lang]}" for lang in SUMMARY}


# ---- dumps ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Dump:
    """One file of a published dump, as the catalogue describes it."""

    path: Path
    relpath: str        # under the publication folder, e.g. "dump/fkgraph.ttl.gz"
    fmt: str            # turtle | ntriples | jsonld
    gzip: bool
    size: int
    sha256: str


def write_dumps(store: ox.Store, directory: str | Path, gzip: bool = False) -> list[Dump]:
    """Write `dump/fkgraph.{ttl,nt,jsonld}` (and `.gz` copies) and `dump/context.jsonld`."""
    directory = Path(directory)
    out = []
    for fmt, (ext, _, _) in FORMATS.items():
        data = serialize(store, fmt)
        variants = [(f"dump/{DUMP_NAME}.{ext}", data, False)]
        if gzip:
            variants.append((f"dump/{DUMP_NAME}.{ext}.gz", gzip_bytes(data), True))
        for rel, blob, gz in variants:
            path = write_bytes(directory / rel, blob)
            out.append(Dump(path, rel, fmt, gz, len(blob), hashlib.sha256(blob).hexdigest()))
    context = json.dumps(jsonld_context(None, store), ensure_ascii=False, indent=1) + "\n"
    write_bytes(directory / "dump" / CONTEXT_NAME, context.encode("utf-8"))
    return out


def _url(base_url: str) -> str:
    if not iris.HTTP_IRI.match(base_url or ""):
        raise ExportError(f"{base_url!r} is not an http(s) URL; give the URL the files are served from, "
                          f"e.g. https://example.org/fkgraph/")
    return base_url if base_url.endswith("/") else base_url + "/"


class _G:
    """A small triple collector with curie helpers for the catalogue graphs."""

    def __init__(self, triples: Iterable[ox.Triple] = ()) -> None:
        self.triples: list[ox.Triple] = list(triples)

    @staticmethod
    def n(curie_or_iri: str) -> ox.NamedNode:
        if ":" in curie_or_iri and not curie_or_iri.startswith("http"):
            prefix, local = curie_or_iri.split(":", 1)
            return ox.NamedNode(PUBLISH_PREFIXES[prefix] + local)
        return ox.NamedNode(curie_or_iri)

    def add(self, s, p: str, o) -> None:
        s = self.n(s) if isinstance(s, str) else s
        if isinstance(o, str):
            o = self.n(o)
        self.triples.append(ox.Triple(s, self.n(p), o))

    def lit(self, s, p: str, value, lang: str | None = None, datatype: str | None = None) -> None:
        if lang:
            o = ox.Literal(str(value), language=lang)
        elif datatype:
            o = ox.Literal(str(value), datatype=self.n(datatype))
        else:
            o = ox.Literal(str(value))
        self.add(s, p, o)


def _ids(base: str) -> dict[str, str]:
    parts = {"catalog": "catalog", "publisher": "publisher", "contact": "contact", "period": "period",
             "service": "sparql", "void": "void"}
    return {"dataset": iris.mint("dataset", base),
            **{key: iris.mint("dataset-part", base, part=part) for key, part in parts.items()}}


# ---- DCAT-AP 3 -----------------------------------------------------------------------------------

_PLACEHOLDER = "https://base.fkgraph.invalid/"


def _static(base: str) -> list[ox.Triple]:
    """dcat.ttl (the part of the description that is the same for every publication), on `base`.

    Its relative IRIs are read against a placeholder and then moved onto `base`, rather than read
    against `base` itself, so that dcat.ttl stays plain Turtle and a base ending in `#` works too."""
    def rebase(node):
        if isinstance(node, ox.NamedNode) and node.value.startswith(_PLACEHOLDER):
            return ox.NamedNode(base + node.value[len(_PLACEHOLDER):])
        return node

    quads = ox.parse(path=str(Path(__file__).with_name("dcat.ttl")), format=ox.RdfFormat.TURTLE, base_iri=_PLACEHOLDER)
    return [ox.Triple(rebase(q.subject), q.predicate, rebase(q.object)) for q in quads]


def dcat(dumps: Iterable[Dump], base_url: str, base: str = iris.DEFAULT_BASE, endpoint: str | None = None,
         release: Release | None = None) -> list[ox.Triple]:
    """A DCAT-AP 3 description of the dataset and its dumps (conforms to the DCAT-AP 3.0.1 shapes).

    `base_url` is where the files are served; `base` the IRI base of the data; `endpoint` an
    optional SPARQL endpoint URL (described as a `dcat:DataService`). `release` (default: read
    from `data/release.yaml`) gives the catalogue's, the dataset's and every distribution's
    `dcterms:issued` and `dcterms:modified`, the dataset's `dcat:version` and its
    `dcterms:temporal` period. What does not depend on these comes from dcat.ttl."""
    base_url = _url(base_url)
    release = release or load_release()
    ids = _ids(base)
    g = _G(_static(base))
    cat, ds = ids["catalog"], ids["dataset"]
    for node in (cat, ds):
        g.lit(node, "dcterms:issued", release.issued, datatype="xsd:date")
        g.lit(node, "dcterms:modified", release.modified, datatype="xsd:date")
    g.add(cat, "foaf:homepage", base_url)
    g.add(ids["contact"], "vcard:hasURL", base_url)
    for lang in ("da", "en"):
        g.lit(ds, "dcterms:title", TITLE[lang], lang)
        g.lit(ds, "dcterms:description", DESCRIPTION[lang], lang)
    g.add(ds, "dcat:landingPage", base_url + "index.html")
    g.add(ds, "foaf:page", base_url + "index.html")
    g.lit(ds, "dcat:version", release.version)
    g.add(ds, "rdfs:seeAlso", base_url + "void.ttl")
    g.lit(ids["period"], "dcat:startDate", release.start, datatype="xsd:date")
    g.lit(ids["period"], "dcat:endDate", release.end, datatype="xsd:date")
    g.add(base_url + "index.html", "rdf:type", "foaf:Document")
    g.add(base_url, "rdf:type", "foaf:Document")
    for d in sorted(dumps, key=lambda d: d.relpath):
        _distribution(g, ids, d, base_url, release, endpoint)
    if endpoint:
        _service(g, ids, endpoint, base_url)
    return g.triples


def _distribution(g: _G, ids: dict[str, str], d: Dump, base_url: str, release: Release, endpoint: str | None) -> None:
    """One dump as a `dcat:Distribution` of the dataset, with its size and checksum."""
    ext, media, eu_code = FORMATS[d.fmt]
    ds = ids["dataset"]
    dist = f"{ds}/distribution/{d.relpath.split('/')[-1].replace('.', '-')}"
    g.add(ds, "dcat:distribution", dist)
    g.add(dist, "rdf:type", "dcat:Distribution")
    name = {"turtle": "Turtle", "ntriples": "N-Triples", "jsonld": "JSON-LD"}[d.fmt] + (", gzip" if d.gzip else "")
    g.lit(dist, "dcterms:title", f"Hele grafen som {name}", "da")
    g.lit(dist, "dcterms:title", f"The whole graph as {name}", "en")
    g.add(dist, "dcat:accessURL", base_url + "index.html")
    g.add(dist, "dcat:downloadURL", base_url + d.relpath)
    g.add(dist, "dcat:mediaType", IANA + media)
    g.add(IANA + media, "rdf:type", "dcterms:MediaType")
    g.add(dist, "dcterms:format", _file_type(g, eu_code))
    g.lit(dist, "dcterms:description", f"Alle tripler i datasættet som {name}"
          + (" (gzip-komprimeret)" if d.gzip else "") + ", sorteret, så to udgaver kan sammenlignes linje for linje.", "da")
    g.lit(dist, "dcterms:description", f"Every triple of the dataset as {name}"
          + (" (gzip-compressed)" if d.gzip else "") + ", sorted so that two releases compare line by line.", "en")
    g.add(dist, "dcatap:availability", EU + "planned-availability/STABLE")
    if d.gzip:
        g.add(dist, "dcat:compressFormat", IANA + "application/gzip")
        g.add(IANA + "application/gzip", "rdf:type", "dcterms:MediaType")
    g.lit(dist, "dcat:byteSize", d.size, datatype="xsd:nonNegativeInteger")
    g.add(dist, "dcterms:license", LICENCE)
    g.add(dist, "dcterms:conformsTo", iris.ONTOLOGY.rstrip("#"))
    g.lit(dist, "dcterms:issued", release.issued, datatype="xsd:date")
    g.lit(dist, "dcterms:modified", release.modified, datatype="xsd:date")
    checksum = dist + "/sha256"
    g.add(dist, "spdx:checksum", checksum)
    g.add(checksum, "rdf:type", "spdx:Checksum")
    g.add(checksum, "spdx:algorithm", "spdx:checksumAlgorithm_sha256")
    g.lit(checksum, "spdx:checksumValue", d.sha256, datatype="xsd:hexBinary")
    if endpoint:
        g.add(dist, "dcat:accessService", ids["service"])


def _file_type(g: _G, code: str) -> str:
    """An entry of the EU file-type table, described as the table describes it."""
    node, scheme = f"{EU}file-type/{code}", f"{EU}file-type"
    g.add(node, "rdf:type", "dcterms:MediaTypeOrExtent")
    g.add(node, "skos:inScheme", scheme)
    g.lit(node, "skos:prefLabel", code.replace("_", " "), "en")
    g.add(scheme, "rdf:type", "skos:ConceptScheme")
    g.lit(scheme, "dcterms:title", "File type", "en")
    return node


def _service(g: _G, ids: dict[str, str], endpoint: str, base_url: str) -> None:
    """The SPARQL endpoint as a `dcat:DataService` of the catalogue."""
    svc, protocol = ids["service"], "https://www.w3.org/TR/sparql11-protocol/"
    g.add(ids["catalog"], "dcat:service", svc)
    g.add(svc, "rdf:type", "dcat:DataService")
    g.lit(svc, "dcterms:title", "fkgraph SPARQL-endpoint", "da")
    g.lit(svc, "dcterms:title", "fkgraph SPARQL endpoint", "en")
    g.add(svc, "dcat:endpointURL", endpoint)
    g.add(svc, "dcat:servesDataset", ids["dataset"])
    g.add(svc, "dcterms:conformsTo", protocol)
    g.add(protocol, "rdf:type", "dcterms:Standard")
    g.add(svc, "dcat:contactPoint", ids["contact"])
    g.add(svc, "dcterms:publisher", ids["publisher"])
    g.add(svc, "dcterms:license", LICENCE)
    g.add(svc, "dcat:theme", EU + "data-theme/GOVE")
    g.lit(svc, "dcat:keyword", "SPARQL", "en")
    g.add(svc, "dcat:endpointDescription", base_url + "void.ttl")


# ---- VoID ----------------------------------------------------------------------------------------

_HERE = "fkgraph.publishing"


def _slug_iri(iri: str) -> str:
    c = compact(iri, PUBLISH_PREFIXES)
    return iris.slug(c.replace(":", "-") if c else iri)


def void(store: ox.Store, dumps: Iterable[Dump], base_url: str, base: str = iris.DEFAULT_BASE,
         endpoint: str | None = None) -> list[ox.Triple]:
    """A VoID description: sizes, class and property partitions, URI space, examples, dumps."""
    base_url = _url(base_url)
    ids = _ids(base)
    ds = ids["dataset"]
    g = _G()
    g.add(ds, "rdf:type", "void:Dataset")
    g.lit(ds, "dcterms:title", TITLE["da"], "da")
    g.lit(ds, "dcterms:title", TITLE["en"], "en")
    g.add(ds, "dcterms:license", "https://creativecommons.org/licenses/by/4.0/")
    g.add(ds, "foaf:homepage", base_url + "index.html")
    g.add(ds, "rdfs:seeAlso", base_url + "dcat.ttl")
    row = next(iter(store.query(internal("void-counts", _HERE))))
    for key, prop in (("triples", "void:triples"), ("subjects", "void:distinctSubjects"),
                      ("objects", "void:distinctObjects"), ("properties", "void:properties")):
        g.lit(ds, prop, row[key].value, datatype="xsd:integer")
    space = base + "id/"
    g.lit(ds, "void:uriSpace", space)
    n = next(iter(store.query(internal("void-entities", _HERE, space=ox.Literal(space)))))["n"]
    g.lit(ds, "void:entities", n.value, datatype="xsd:integer")
    classes = list(store.query(internal("void-classes", _HERE)))
    g.lit(ds, "void:classes", len(classes), datatype="xsd:integer")
    vocabularies = set()
    for sol in classes:
        part = f"{ds}/void/class/{_slug_iri(sol['c'].value)}"
        g.add(ds, "void:classPartition", part)
        g.add(part, "void:class", sol["c"])
        g.lit(part, "void:entities", sol["n"].value, datatype="xsd:integer")
        vocabularies.add(sol["c"].value)
    for sol in store.query(internal("void-properties", _HERE)):
        part = f"{ds}/void/property/{_slug_iri(sol['p'].value)}"
        g.add(ds, "void:propertyPartition", part)
        g.add(part, "void:property", sol["p"])
        g.lit(part, "void:triples", sol["n"].value, datatype="xsd:integer")
        vocabularies.add(sol["p"].value)
    for ns in sorted({ns for ns in PREFIXES.values() for v in vocabularies if v.startswith(ns)}):
        g.add(ds, "void:vocabulary", ns.rstrip("#") if ns.endswith("#") else ns)
    _linksets(g, store, ds)
    for sol in store.query(internal("void-examples", _HERE)):
        g.add(ds, "void:exampleResource", sol["example"].value)
    root = iris.mint("programme", base, programme="frikommune-ii")
    if ox.Quad(ox.NamedNode(root), ox.NamedNode(RDF_TYPE), ox.NamedNode(iris.ONTOLOGY + "Programme"), ox.DefaultGraph()) in store:
        g.add(ds, "void:rootResource", root)
    feature = {"turtle": "http://www.w3.org/ns/formats/Turtle", "ntriples": "http://www.w3.org/ns/formats/N-Triples",
               "jsonld": "http://www.w3.org/ns/formats/JSON-LD"}
    for d in sorted(dumps, key=lambda d: d.relpath):
        g.add(ds, "void:dataDump", base_url + d.relpath)
        g.add(ds, "void:feature", feature[d.fmt])
    if endpoint:
        g.add(ds, "void:sparqlEndpoint", endpoint)
    return g.triples


#: The graph's links out (fk.ttl's rdfs:comment on the ontology says why these predicates):
#: name → (predicate, the target's URI space, its homepage, Danish and English title)
LINKSETS = {
    "dagi": ("rdfs:seeAlso", iris.MUNICIPALITY_REGISTER, "https://dataforsyningen.dk/",
             "Danmarks Administrative Geografiske Inddeling (DAGI): kommuner", "Danish administrative regions (DAGI): municipalities"),
    "retsinformation": ("rdfs:seeAlso", iris.RETSINFORMATION_ELI, "https://www.retsinformation.dk/",
                        "Retsinformation: love og bekendtgørelser (ELI)", "Retsinformation: Danish acts and executive orders (ELI)"),
}


def _linksets(g: _G, store: ox.Store, ds: str) -> None:
    """One `void:Linkset` per target the graph links to, with the number of links."""
    for name, (predicate, space, homepage, da, en) in LINKSETS.items():
        n = next(iter(store.query(internal("void-linkset", _HERE, p=g.n(predicate), space=ox.Literal(space)))))["n"]
        if int(n.value) == 0:
            continue
        linkset, target = f"{ds}/void/linkset/{name}", f"{ds}/void/target/{name}"
        g.add(ds, "void:subset", linkset)
        g.add(linkset, "rdf:type", "void:Linkset")
        g.add(linkset, "void:subjectsTarget", ds)
        g.add(linkset, "void:objectsTarget", target)
        g.add(linkset, "void:linkPredicate", predicate)
        g.lit(linkset, "void:triples", n.value, datatype="xsd:integer")
        g.add(target, "rdf:type", "void:Dataset")
        g.lit(target, "void:uriSpace", space)
        g.add(target, "foaf:homepage", homepage)
        g.lit(target, "dcterms:title", da, "da")
        g.lit(target, "dcterms:title", en, "en")


@dataclass
class Publication:
    """What `publish` wrote."""

    directory: Path
    dumps: list[Dump]
    dcat: Path
    void: Path
    well_known: Path
    release: Release | None = None   # as described in dcat.ttl ($SOURCE_DATE_EPOCH applied)


def publish(store: ox.Store, directory: str | Path, base_url: str | None = None, base: str = iris.DEFAULT_BASE,
            endpoint: str | None = None, gzip: bool = False, release: Release | None = None) -> Publication:
    """Write the dumps, `dcat.ttl`, `void.ttl` and `.well-known/void` into `directory`, as one set.

    `base_url` is the public URL of `directory` (default: the IRI base, which w3id redirects to
    the published files). `release` is the release metadata (default: `data/release.yaml` of the
    project home, see `load_release`); `$SOURCE_DATE_EPOCH`, when set, overrides its `modified`
    date (reproducible builds). Dates never come from the clock: everything is deterministic for
    the same data and arguments.

    The set is written into a folder beside `directory` and swapped in in one step
    (fkgraph.fsio.staged_folder), under the build lock of `directory`: a reader sees the previous
    publication or this one, never dumps of one beside a dcat.ttl of the other, and a kill at any
    moment leaves one complete set. Other files in `directory` (a build's fkgraph.ttl, ontology/)
    are carried over; dumps of an earlier run that this one does not write are not."""
    from fkgraph.fsio import output_lock, staged_folder

    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise ExportError(f"{directory}: exists and is not a folder; give a folder for --output")
    with output_lock(directory), staged_folder(directory, keep=_not_published) as staged:
        written = write_publication(store, staged, base_url, base, endpoint, gzip, release)
    return _moved(written, directory)


def _not_published(rel: str) -> bool:
    """Whether a file found in the publication folder is someone else's (carried over by `publish`)."""
    if rel in ("dcat.ttl", "void.ttl", ".well-known/void"):
        return False
    folder, _, name = rel.rpartition("/")
    return not (folder == "dump" and (name.startswith(DUMP_NAME + ".") or name == CONTEXT_NAME))


def _moved(p: Publication, directory: Path) -> Publication:
    """`p` as it stands in `directory` once swapped in."""
    return replace(p, directory=directory, dumps=[replace(d, path=directory / d.relpath) for d in p.dumps],
                   dcat=directory / "dcat.ttl", void=directory / "void.ttl", well_known=directory / ".well-known" / "void")


def write_publication(store: ox.Store, directory: str | Path, base_url: str | None = None,
                      base: str = iris.DEFAULT_BASE, endpoint: str | None = None, gzip: bool = False,
                      release: Release | None = None) -> Publication:
    """The files of `publish`, written straight into `directory` (a folder that is swapped in
    whole afterwards, such as the site's staged folder)."""
    from fkgraph.fsio import pause_at

    directory = Path(directory)
    base_url = _url(base_url or base)
    if endpoint:
        _url(endpoint)
    release = release or load_release()
    epoch = source_date_epoch()
    if epoch:
        release = replace(release, modified=epoch)
    dumps = write_dumps(store, directory, gzip)
    pause_at("dumps")
    dcat_path = write_bytes(directory / "dcat.ttl",
                            turtle(dcat(dumps, base_url, base, endpoint, release), PUBLISH_PREFIXES))
    void_ttl = turtle(void(store, dumps, base_url, base, endpoint), PUBLISH_PREFIXES)
    void_path = write_bytes(directory / "void.ttl", void_ttl)
    well_known = write_bytes(directory / ".well-known" / "void", void_ttl)
    return Publication(directory, dumps, dcat_path, void_path, well_known, release)
