"""What users type for an IRI parameter (a name, code, abbreviation or citation) → one IRI.

The typed text reaches the store only as a bound literal, never as query text; the lookup
query is `rq/lookup.rq`. Works on the embedded store and, through
`remote_store.RemoteStore`, on an endpoint.
"""
from __future__ import annotations

import re

import pyoxigraph as ox

from fkgraph.rdf.terms import PREFIXES
from fkgraph.sparql.catalogue import Param, QueryError, internal

_FK, _ELI = PREFIXES["fk"], PREFIXES["eli"]
_RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")

#: What a parameter of this name must resolve to: the classes of the graph (graph.py) a typed
#: name, code or citation is looked up in. A parameter named otherwise may match anything, but
#: must match exactly one thing.
PARAM_CLASSES: dict[str, tuple[str, ...]] = {
    "programme": (_FK + "Programme",),
    "network": (_FK + "Network",),
    "municipality": (_FK + "Municipality",),
    "trial": (_FK + "Trial",),
    "application": (_FK + "Application",),
    "statute": (_ELI + "LegalResource",),
    "provision": (_ELI + "LegalResource", _ELI + "LegalResourceSubdivision"),
    "source": (_FK + "SourceDocument",),
}
_ROMAN = {"1": "i", "2": "ii", "i": "i", "ii": "ii"}


def candidates(param: Param, value: str, citation_parser=None) -> list[str]:
    """The texts to look up for what a user typed: the value itself, a four-digit kommunekode
    for "159", "frikommune-ii" for "II" or "2", and the canonical citation of free text
    ("servicelovens § 52 stk. 3" → "SL § 52, stk. 3")."""
    typed = " ".join(value.split())
    out = [typed]
    if typed.isdigit() and len(typed) < 4 and param.name in ("municipality", "code"):
        out.append(typed.zfill(4))
    if param.name == "programme" and typed.lower() in _ROMAN:
        out.append("frikommune-" + _ROMAN[typed.lower()])
    if citation_parser and param.name not in ("network", "programme", "municipality"):
        try:
            canonical = citation_parser(typed)
        except Exception:  # not a citation: a parser failure means "no reading", never an error here
            canonical = None
        if canonical:
            out.append(canonical)
    return list(dict.fromkeys(c for c in out if c))


def resolver(store: ox.Store, citation_parser=None):
    """A function that maps a typed name, code, abbreviation or citation to one IRI in the store.

    Accepts an abbreviation ("LAB"), a name or variant ("serviceloven", "Gladsaxe"), a code
    ("0159", "159"), a network number ("4"), a programme ("frikommune-ii", "II") and, through
    `citation_parser(text) -> canonical text or None`, a citation in the wording of the sources
    ("servicelovens § 52 stk. 3" finds the provision whose notation is "SL § 52, stk. 3").
    Matches are restricted to the classes in PARAM_CLASSES for the parameter's name. Returns None
    when nothing matches (the caller then accepts an http(s) IRI or reports the value); raises
    QueryError when several things match.
    """
    lookup = internal("lookup")

    def of_class(iri: str, classes: tuple[str, ...]) -> bool:
        node = ox.NamedNode(iri)
        return any(next(store.quads_for_pattern(node, _RDF_TYPE, ox.NamedNode(c)), None) is not None for c in classes)

    def resolve(param: Param, value: str) -> ox.NamedNode | None:
        if re.match(r"^https?://", value):
            return None
        classes = PARAM_CLASSES.get(param.name, ())
        for candidate in candidates(param, value, citation_parser):
            found = sorted({sol["s"].value for sol in store.query(lookup, substitutions={ox.Variable("v"): ox.Literal(candidate)})
                            if isinstance(sol["s"], ox.NamedNode)})
            if classes:
                found = [f for f in found if of_class(f, classes)]
            if len(found) == 1:
                return ox.NamedNode(found[0])
            if len(found) > 1:
                raise QueryError(f"parameter {param.name}: {value!r} matches {len(found)} things "
                                 f"({', '.join(found[:4])}{' …' if len(found) > 4 else ''}); give the IRI")
        return None
    return resolve
