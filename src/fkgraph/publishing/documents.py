"""Every IRI a document: the RDF documents of each resource of the site, their type maps, and the
`.htaccess` that answers an identifier with a 303 to the document its `Accept` header prefers.

Each `{base}id/PATH` (and the ontology IRI) gets `PATH.html`, `.ttl`, `.nt`, `.jsonld` and `.rdf`
(RDF/XML), and `PATH.var`, an Apache type map naming them. Apache's mod_negotiation reads the
type map and chooses by the q-values of `Accept` and each variant's quality (HTML first for
`*/*`); each variant is `PATH.EXT.303`, a name the `.htaccess` answers with a 303 See Other to
`PATH.EXT`. So the choice is Apache's own RFC 7231 negotiation, and the answer a 303, as a
"thing" IRI needs (W3C, Cool URIs for the Semantic Web, 4.3).

Every document also says what it is (FOAF, VoID 6.1): each of the resource's documents has it as
`foaf:primaryTopic` and is `void:inDataset` the dataset, so even a resource nothing else points at
(a statute the sources name but no record cites) links back into the dataset. All formats carry
the same triples (the five documents' descriptions), so they stay one graph.

A document describes its resource both ways (`describe`): what the resource says, what says
something about it (a statute's provisions, a network's trials, a parent trial's sub-trials), what
is said about its parts (the trials exempted from a statute's provisions, the facts derived from a
source document's excerpts), and the types and names of every resource it mentions, so that a
client can show a document without fetching another.
"""
from __future__ import annotations

import posixpath
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import pyoxigraph as ox

from fkgraph.model.iris import PATTERNS
from fkgraph.rdf import serialize
from fkgraph.rdf.terms import PREFIXES, compact

if TYPE_CHECKING:
    from fkgraph.publishing.pages import Site

RDF_TYPE = PREFIXES["rdf"] + "type"
#: properties that make a resource part of another: the whole's document says what its parts are
PART_OF = (PREFIXES["eli"] + "is_part_of", PREFIXES["dcterms"] + "isPartOf")
#: what a document says about each other resource it mentions, so that a client can name it
NAMES = (RDF_TYPE, PREFIXES["rdfs"] + "label", PREFIXES["skos"] + "prefLabel", PREFIXES["skos"] + "notation")
#: extension → (media type, the server's quality for it): HTML first for `*/*` and for browsers
VARIANTS = {
    "html": ("text/html", "1.0"),
    "ttl": ("text/turtle", "0.9"),
    "jsonld": ("application/ld+json", "0.8"),
    "rdf": ("application/rdf+xml", "0.7"),
    "nt": ("application/n-triples", "0.6"),
}
VOID = "http://rdfs.org/ns/void#"
PRIMARY_TOPIC, IN_DATASET = ox.NamedNode(PREFIXES["foaf"] + "primaryTopic"), ox.NamedNode(VOID + "inDataset")
#: a client that asks only for JSON reads the JSON-LD
ALSO = [("jsonld", "application/json", "0.5")]
_DG = ox.DefaultGraph()


def describe(store: ox.Store, iri: str) -> list[ox.Triple]:
    """The resource's symmetric description: its Concise Bounded Description, every triple that
    points at it or at one of its parts (transitively, by `PART_OF`), and the `NAMES` of every
    other resource these mention."""
    node = ox.NamedNode(iri)
    out = set(serialize.cbd(store, node))
    parts, todo = {node}, [node]
    while todo:
        whole = todo.pop()
        for p in PART_OF:
            for q in store.quads_for_pattern(None, ox.NamedNode(p), whole, _DG):
                if isinstance(q.subject, ox.NamedNode) and q.subject not in parts:
                    parts.add(q.subject)
                    todo.append(q.subject)
    for part in parts:
        for q in store.quads_for_pattern(None, None, part, _DG):
            out.add(q.triple)
            if isinstance(q.subject, ox.BlankNode):
                out.update(serialize.cbd(store, q.subject))
    mentioned = {n for t in out for n in (t.subject, t.object) if isinstance(n, ox.NamedNode)} - {node}
    for other in mentioned:
        for p in NAMES:
            out.update(q.triple for q in store.quads_for_pattern(other, ox.NamedNode(p), None, _DG))
    return list(out)


def self_description(iri: str, dataset: str) -> list[ox.Triple]:
    """What the documents of `iri` (`iri.html`, `.ttl` …) say of themselves: the resource they are
    about and the dataset they are part of."""
    topic, ds = ox.NamedNode(iri), ox.NamedNode(dataset)
    docs = [ox.NamedNode(f"{iri}.{ext}") for ext in VARIANTS]
    return [ox.Triple(d, p, o) for d in docs for p, o in ((PRIMARY_TOPIC, topic), (IN_DATASET, ds))]


def rdf_documents(triples: list[ox.Triple], prefixes: dict[str, str] | None = None,
                  context: dict | None = None, jsonld: bytes | None = None) -> dict[str, bytes]:
    """The description in every RDF format of `VARIANTS`: extension → bytes (sorted, byte-stable);
    the JSON-LD with `context` (one for all documents, so every document names a property alike),
    or as given (`serialize.jsonld_many` compacts many at once)."""
    prefixes = prefixes or PREFIXES
    ordered = serialize._canonical(triples)
    used = {p: ns for p, ns in prefixes.items()
            if any(isinstance(n, ox.NamedNode) and n.value.startswith(ns) for t in ordered for n in (t.predicate, t.object))}
    return {"ttl": serialize.turtle(triples, prefixes), "nt": serialize.ntriples(triples),
            "jsonld": jsonld if jsonld is not None else serialize.jsonld(triples, prefixes, context),
            "rdf": ox.serialize(ordered, format=ox.RdfFormat.RDF_XML, prefixes=dict(sorted(used.items())))}


def type_map(stem: str) -> str:
    """The Apache type map of the identifier whose documents are `stem.EXT` (stem relative to the map)."""
    entries = [(ext, media, qs) for ext, (media, qs) in VARIANTS.items()] + ALSO
    return "".join(f"URI: {stem}.{ext}.303\nContent-Type: {media}; qs={qs}\n\n" for ext, media, qs in entries)


def resources(store: ox.Store, base: str) -> list[str]:
    """Every IRI under `{base}id/` that the store names (as subject or object), sorted."""
    space = base + "id/"
    found = set()
    for q in store.quads_for_pattern(None, None, None, _DG):
        for n in (q.subject, q.object):
            if isinstance(n, ox.NamedNode) and n.value.startswith(space):
                found.add(n.value)
    return sorted(found)


def write_resources(write, store: ox.Store, iris: list[str], base: str, prefixes: dict[str, str] | None = None,
                    context: dict | None = None) -> list[str]:
    """Write the RDF documents and the type map of each resource; returns their path stems (`id/…`)."""
    dataset = base + PATTERNS["dataset"]
    described = [describe(store, iri) + self_description(iri, dataset) for iri in iris]
    stems = []
    for iri, triples, js in zip(iris, described, serialize.jsonld_many(described, prefixes, context)):
        stem = iri[len(base):]
        for ext, data in rdf_documents(triples, prefixes, jsonld=js).items():
            write(f"{stem}.{ext}", data)
        write(f"{stem}.var", type_map(posixpath.basename(stem)))
        stems.append(stem)
    return stems


def write_ontology(write, ontology_file: str | Path, ontology_iri: str, page: Path | None = None) -> list[str]:
    """The ontology's documents beside the documentation `fkgraph docs` wrote under ontology/:
    fk.nt, fk.jsonld and fk.rdf next to fk.ttl, the type map `ontology.var` for the ontology IRI,
    and a copy of all of them (and of the documentation `page`) at its owl:versionIRI
    (`ontology/VERSION.*`), so that both resolve."""
    triples = [q.triple for q in ox.parse(path=str(ontology_file), format=ox.RdfFormat.TURTLE)]
    docs = rdf_documents(triples, {**PREFIXES, "vann": "http://purl.org/vocab/vann/"})
    docs["ttl"] = Path(ontology_file).read_bytes()  # the file as written, with its comments
    for ext in ("nt", "jsonld", "rdf"):
        write(f"ontology/fk.{ext}", docs[ext])
    write("ontology.var", "".join(
        f"URI: ontology/{'index' if ext == 'html' else 'fk'}.{ext}.303\nContent-Type: {media}; qs={qs}\n\n"
        for ext, media, qs in [(e, m, q) for e, (m, q) in VARIANTS.items()] + ALSO))
    if page is not None:  # ontology/fk.EXT for every EXT, for servers that pick by a file name (nginx)
        write("ontology/fk.html", page.read_bytes())
    stems = ["ontology"]
    version = next((t.object.value for t in triples if t.subject.value == ontology_iri
                    and t.predicate.value == PREFIXES["owl"] + "versionIRI"), None)
    if version and version.startswith(ontology_iri + "/"):
        stem = "ontology/" + version[len(ontology_iri) + 1:]
        for ext, data in docs.items():
            write(f"{stem}.{ext}", data)
        if page is not None:  # its links (fk.ttl, #Term) are relative: the copy works beside the original
            write(f"{stem}.html", page.read_bytes())
        write(f"{stem}.var", type_map(posixpath.basename(stem)))
        stems.append(stem)
    return stems


HTACCESS = r"""# Linked data for {base}, served from {site}
# Put this file in the folder served at {site} (Apache 2.4 with AllowOverride All and mod_rewrite,
# mod_negotiation, mod_headers, mod_mime). Files (pages, documents, dcat.ttl, void.ttl,
# .well-known/void, dump/*) are served as they are. An identifier (id/…, ontology) has a type map
# beside it (id/statute/lab.var): mod_negotiation chooses the document by the q-values of Accept,
# and the chosen name (lab.ttl.303) is answered with a 303 See Other to the document (lab.ttl).
{forward}Options -MultiViews +FollowSymLinks
DirectoryIndex index.html
# id/statute/lab names the statute, id/statute/lab/ the folder of its provisions' documents
DirectorySlash Off
AddType text/html .html
AddType text/turtle .ttl
AddType application/n-triples .nt
AddType application/ld+json .jsonld
AddType application/rdf+xml .rdf
AddCharset utf-8 .html .ttl .nt .jsonld .rdf
AddHandler type-map .var
<Files "void">
ForceType text/turtle
</Files>
Header always set Access-Control-Allow-Origin "*"

RewriteEngine on
RewriteBase {path}
# The variant mod_negotiation chose: 303 See Other to the document
RewriteRule ^(.+)\.(html|ttl|nt|jsonld|rdf)\.303$ {site}$1.$2 [R=303,L]
# An identifier: its type map chooses
RewriteCond %{{REQUEST_FILENAME}}.var -f
RewriteRule ^(.+)$ $1.var [L]
"""

FORWARD = r"""# The IRIs are under another host: in the w3id.org repository, fkgraph's .htaccess forwards
# every path to this site, keeping the Accept header (307 keeps the request as it was):
#   RewriteEngine on
#   RewriteRule ^(.*)$ {site}$1 [R=307,L]
"""


def htaccess(site_url: str, base: str) -> str:
    """The rules of the site served at `site_url` whose IRIs are under `base`."""
    from urllib.parse import urlsplit

    forward = FORWARD.format(site=site_url) if site_url != base else ""
    return HTACCESS.format(base=base, site=site_url, path=urlsplit(site_url).path or "/", forward=forward)


def labelled_pages(site: Site, iris: Iterable[str]) -> list:
    """Register a page (kind `resource`) for each IRI that has none, so that every page links to it;
    a resource with no label of its own is titled by its type and the names of what it links to
    (an exemption: "fritagelse: LAB § 21 b, <the trial>")."""
    from fkgraph.publishing.pages import Page

    added = []
    for iri in iris:
        if iri in site.pages:
            continue
        title, title_en = site.label(iri), site.label(iri, "en", fallback=False)
        if iri not in site.labels:
            named = sorted({site.label(q.object.value) for q in site.store.quads_for_pattern(ox.NamedNode(iri), None, None, _DG)
                            if isinstance(q.object, ox.NamedNode) and q.predicate.value != RDF_TYPE and q.object.value in site.labels})
            types = [site.label(q.object.value) for q in site.store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(RDF_TYPE), None, _DG)]
            title = f"{', '.join(sorted(types)) or 'ressource'}: {', '.join(named[:3]) or iri[len(site.base):]}"
        page = site.pages[iri] = Page(iri, "resource", iri[len(site.base):] + ".html", title, title_en)
        added.append(page)
    return added


def write_site_documents(out, built, catalogue: Iterable[ox.Triple], ontology: ox.Store | None) -> dict[str, int]:
    """Documents for every IRI of the graph and of the catalogue (dcat.ttl, void.ttl), and a page
    for each one that has none of its own kind; `out` is the site's writer. Returns counts."""
    from types import SimpleNamespace

    from fkgraph.publishing.catalog import PUBLISH_PREFIXES
    from fkgraph.publishing.pages import Site

    site, base = out.site, built.base
    data = resources(built.store, base)
    cat_store = ox.Store()
    cat_store.extend(ox.Quad(t.subject, t.predicate, t.object, _DG) for t in catalogue)
    cat = [i for i in resources(cat_store, base) if i not in set(data)]
    cat_site = Site(SimpleNamespace(store=cat_store, base=base), ontology)
    cat_site.pages = site.pages  # one set of pages: each site links to the other's
    for q in cat_store.quads_for_pattern(None, ox.NamedNode(PREFIXES["dcterms"] + "title"), None, _DG):
        cat_site.labels.setdefault(q.subject.value, {}).setdefault(q.object.language or "", q.object.value)
    for q in cat_store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), None, _DG):  # dcat:Dataset, not its IRI
        cat_site.labels.setdefault(q.object.value, {"": compact(q.object.value, PUBLISH_PREFIXES) or q.object.value})
    pages = [(site, p) for p in labelled_pages(site, data)] + [(cat_site, p) for p in labelled_pages(cat_site, cat)]
    prefixes = {**PREFIXES, "void": VOID}
    write_resources(out.write, built.store, data, base, prefixes, serialize.jsonld_context(prefixes))
    write_resources(out.write, cat_store, cat, base, PUBLISH_PREFIXES, serialize.jsonld_context(PUBLISH_PREFIXES))
    for s, page in pages:
        _page(out, s, page)
    return {"data": len(data), "catalogue": len(cat), "pages": len(pages)}


def _page(out, site: Site, page) -> None:
    """The page of a resource that has no page of its own kind: what it says and what points at it."""
    types = [q.object.value for q in site.store.quads_for_pattern(ox.NamedNode(page.iri), ox.NamedNode(RDF_TYPE), None, _DG)]
    kind_da = ", ".join(sorted(site.label(t) for t in types)) or "Ressource"
    kind_en = ", ".join(sorted(site.label(t, "en") for t in types)) or "Resource"
    name = posixpath.basename(page.path.removesuffix(".html"))
    out.render("resource.html", page.path, page=page, kind_da=kind_da, kind_en=kind_en,
               ttl=name + ".ttl", jsonld=name + ".jsonld", nt=name + ".nt", rdf=name + ".rdf",
               sections=site.sections(page), statements=site.statements(page.iri, page.path),
               referenced=site.referenced_by(page.iri, page.path), list_page=site.href("index.html", page.path),
               crumbs=out.crumbs(page.path, ("data.html", "Data", "Data"), (None, page.display, page.display_en)))
