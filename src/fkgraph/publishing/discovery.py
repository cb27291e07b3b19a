"""How search engines find the site: `sitemap.xml` (every page, sitemaps.org protocol 0.9),
`robots.txt` pointing at it, and a schema.org `Dataset` in JSON-LD for the index page, so that
dataset search engines index the data. The Dataset says what dcat.ttl says (title, description,
publisher, keywords, licence, period, Denmark, one DataDownload per dump), read from the written
dcat.ttl and data/release.yaml rather than restated, so the two descriptions cannot drift apart."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

import pyoxigraph as ox

from fkgraph.rdf.serialize import FORMATS

if TYPE_CHECKING:
    from fkgraph.publishing.catalog import Publication

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
SCHEMA = "https://schema.org/"
LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/"
DENMARK = "http://publications.europa.eu/resource/authority/country/DNK"
_DCAT, _DCT, _FOAF = "http://www.w3.org/ns/dcat#", "http://purl.org/dc/terms/", "http://xmlns.com/foaf/0.1/"


def sitemap(site_url: str, pages: list[str], lastmod: str | None = None) -> str:
    """The sitemap of `pages` (paths relative to the site root; `index.html` is the site's root URL)."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>', f'<urlset xmlns="{SITEMAP_NS}">']
    for rel in sorted(set(pages), key=lambda p: (p != "index.html", p)):
        loc = site_url if rel == "index.html" else site_url + rel
        mod = f"<lastmod>{escape(lastmod)}</lastmod>" if lastmod else ""
        out.append(f"<url><loc>{escape(loc)}</loc>{mod}</url>")
    out.append("</urlset>")
    return "\n".join(out) + "\n"


def robots(site_url: str) -> str:
    """Everything may be crawled; the sitemap says what there is."""
    return f"User-agent: *\nAllow: /\n\nSitemap: {site_url}sitemap.xml\n"


def _texts(store: ox.Store, s: ox.NamedNode, p: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for q in store.quads_for_pattern(s, ox.NamedNode(p), None):
        if isinstance(q.object, ox.Literal):
            out.setdefault(q.object.language or "", []).append(q.object.value)
    return {k: sorted(v) for k, v in out.items()}


def _lang(values: dict[str, list[str]]) -> list[dict]:
    return [{"@value": v, "@language": lang} for lang in sorted(values) for v in values[lang]]


def dataset(publication: Publication, site_url: str, base: str) -> dict:
    """The schema.org Dataset of the publication, with full IRIs under `@vocab` (no context to fetch)."""
    dcat = ox.Store()
    dcat.bulk_load(path=str(publication.dcat), format=ox.RdfFormat.TURTLE)
    ds = ox.NamedNode(base + "id/dataset")
    publisher = next((q.object for q in dcat.quads_for_pattern(ds, ox.NamedNode(_DCT + "publisher"), None)), None)
    release = publication.release
    doc: dict = {
        "@context": {"@vocab": SCHEMA},
        "@type": "Dataset",
        "@id": ds.value,
        "url": site_url,
        "identifier": ds.value,
        "name": _lang(_texts(dcat, ds, _DCT + "title")),
        "description": _lang(_texts(dcat, ds, _DCT + "description")),
        "keywords": _lang(_texts(dcat, ds, _DCAT + "keyword")),
        "inLanguage": ["da", "en"],
        "license": {"@id": LICENSE_URL},
        "isAccessibleForFree": True,
        "spatialCoverage": {"@type": "Place", "name": [{"@value": "Danmark", "@language": "da"},
                                                       {"@value": "Denmark", "@language": "en"}],
                            "sameAs": {"@id": DENMARK}},
        "distribution": [_download(d, site_url) for d in publication.dumps],
        "includedInDataCatalog": {"@type": "DataCatalog", "@id": base + "id/dataset/catalog",
                                  "url": site_url + "dcat.ttl"},
    }
    if publisher is not None:
        agent = {"@type": "Organization", "@id": publisher.value, "url": site_url,
                 "name": _lang(_texts(dcat, publisher, _FOAF + "name"))}
        doc["creator"] = doc["publisher"] = agent
    if release:
        doc.update({"version": release.version, "datePublished": release.issued, "dateModified": release.modified,
                    "temporalCoverage": f"{release.start}/{release.end}"})
    return doc


def _download(d, site_url: str) -> dict:
    media = FORMATS[d.fmt][1]
    return {"@type": "DataDownload", "name": d.relpath.rsplit("/", 1)[-1], "contentUrl": site_url + d.relpath,
            "encodingFormat": "application/gzip" if d.gzip else media, "contentSize": f"{d.size} B",
            "sha256": d.sha256, **({"description": f"{media}, gzip"} if d.gzip else {})}


def script(doc: dict) -> str:
    """JSON for a `<script type="application/ld+json">`: `</` escaped so no value can end the element."""
    return json.dumps(doc, ensure_ascii=False, indent=1).replace("</", "<\\/")
