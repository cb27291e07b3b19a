"""The project's prefixes and RDF terms, as pyoxigraph nodes and as N-Triples text.

The build writes every triple as one N-Triples line and loads them in one call: building
pyoxigraph term objects for millions of triples costs more than the load itself. Every IRI is
minted by fkgraph.model.iris (checked segments under a checked base) or checked by pyoxigraph
once (`_checked`), and literals are escaped here, so the lines load without re-checking.
"""
from __future__ import annotations

import re
from functools import lru_cache

import pyoxigraph as ox

from fkgraph.errors import DataError
from fkgraph.model import iris

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
    "dc": "http://purl.org/dc/elements/1.1/",
}
_LOCAL = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_-]*)$")


def compact(iri: str, prefixes: dict[str, str] | None = None) -> str | None:
    """`iri` as prefix:local with the longest matching namespace, or None when none fits."""
    best = None
    for prefix, ns in (prefixes or PREFIXES).items():
        if iri.startswith(ns) and _LOCAL.match(iri[len(ns):]) and (best is None or len(ns) > len(best[1])):
            best = (prefix, ns)
    return f"{best[0]}:{iri[len(best[1]):]}" if best else None


@lru_cache(maxsize=None)
def term(curie: str) -> ox.NamedNode:
    prefix, local = curie.split(":", 1)
    return ox.NamedNode(PREFIXES[prefix] + local)


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
        raise DataError(f"{lang!r} is not a language tag (BCP 47, e.g. da or en)")
    return f"{quoted}@{lang}"


def da(text: str) -> str:
    return _lit(text, "da")


def en(text: str) -> str:
    return _lit(text, "en")


_DATE = re.compile(r"^-?[0-9]{4,}-[0-9]{2}-[0-9]{2}$")


def date(text: str) -> str:
    if not _DATE.match(str(text)):
        raise DataError(f"{text!r} is not an xsd:date (YYYY-MM-DD)")
    return f'"{text}"^^<{PREFIXES["xsd"]}date>'


def partial_date(text: str) -> str:
    """A date as precise as its source: xsd:gYear, xsd:gYearMonth or xsd:date."""
    kind = {4: "gYear", 7: "gYearMonth"}.get(len(text))
    return f'"{text}"^^<{PREFIXES["xsd"]}{kind}>' if kind else date(text)


def integer(n: int) -> str:
    return f'"{int(n)}"^^<{PREFIXES["xsd"]}integer>'


A = _t("rdf:type")
TRUE = f'"true"^^<{PREFIXES["xsd"]}boolean>'


@lru_cache(maxsize=None)
def concept(scheme: str, value: str) -> str:
    return _iri(iris.concept(scheme, value))
