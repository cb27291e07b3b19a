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
#: words a municipality's name may carry around it ("Gladsaxe Kommune", "Københavns Kommune")
_MUNICIPALITY_WORDS = re.compile(r"\s+(kommunes?|municipality)$")
_DANISH = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa"})
_PLAIN = str.maketrans({"æ": "ae", "ø": "o", "å": "a"})


def folded(text: str, municipality: bool = False) -> set[str]:
    """The loose keys of a name: lower case, hyphens as spaces, and the Danish letters written
    both as Danish writes them without (ø → oe, å → aa) and as a plain keyboard does (ø → o, å →
    a), other accents dropped; for a municipality also without "Kommune" and a genitive s."""
    import unicodedata

    base = " ".join(text.lower().replace("-", " ").split())
    forms = {base}
    if municipality and _MUNICIPALITY_WORDS.search(base):
        stem = _MUNICIPALITY_WORDS.sub("", base)
        forms |= {stem, stem.removesuffix("s")}
    out = set()
    for form in forms:
        for table in (_DANISH, _PLAIN):
            plain = unicodedata.normalize("NFKD", form.translate(table))
            out.add("".join(c for c in plain if not unicodedata.combining(c)))
    return out


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
    Matches are restricted to the classes in PARAM_CLASSES for the parameter's name; for those,
    a name that matches nothing exactly is matched loosely (`folded`: case, accents, hyphens,
    "Kommune"), and one that matches nothing even so is a QueryError naming the closest names.
    Returns None when nothing matches a parameter of no known class (the caller then accepts an
    http(s) IRI or reports the value); raises QueryError when several things match.
    """
    lookup, names_query = internal("lookup"), internal("names")
    known: dict[tuple[str, ...], list[tuple[str, str]]] = {}

    def names(classes: tuple[str, ...]) -> list[tuple[str, str]]:
        """(IRI, name) of every thing of these classes, asked once per resolver."""
        if classes not in known:
            known[classes] = sorted({(sol["s"].value, sol["n"].value) for c in classes for sol in store.query(
                names_query, substitutions={ox.Variable("class"): ox.NamedNode(c)}) if isinstance(sol["s"], ox.NamedNode)})
        return known[classes]

    def loosely(param: Param, value: str, classes: tuple[str, ...]) -> ox.NamedNode | None:
        """The one thing whose name matches `value` loosely (`folded`); else QueryError naming the
        closest names (difflib)."""
        import difflib

        municipality = param.name == "municipality"
        keys = folded(value, municipality)
        found = sorted({iri for iri, name in names(classes) if folded(name, municipality) & keys})
        if len(found) == 1:
            return ox.NamedNode(found[0])
        if len(found) > 1:
            raise QueryError(f"parameter {param.name}: {value!r} matches {len(found)} things "
                             f"({', '.join(found[:4])}{' …' if len(found) > 4 else ''}); give the IRI")
        by_key = {min(folded(name)): name for _, name in names(classes) if not name.isdigit() or len(name) > 2}
        near = [by_key[k] for k in difflib.get_close_matches(min(folded(value)), by_key, n=3, cutoff=0.6)]
        raise QueryError(f"parameter {param.name}: {value!r} is neither an http(s) IRI nor a name, code or "
                         f"citation found in the data" + (f"; closest: {', '.join(near)}" if near else ""))

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
        return loosely(param, value, classes) if classes and value.strip() else None
    return resolve
