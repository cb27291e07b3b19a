"""Mint every IRI fkgraph publishes, from one table of templates.

Like ferenda's URI space descriptions: the patterns are data, one function fills them, and no
other module builds an IRI string by hand. IRIs depend only on record ids and citation paths,
never on row order, so they stay stable when files are re-ordered or extended.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fkgraph.model.citations import Provision

DEFAULT_BASE = "https://w3id.org/fkgraph/"
ONTOLOGY = "https://w3id.org/fkgraph/ontology#"
#: An absolute http(s) IRI with no character that Turtle, N-Triples or HTML would need escaped.
HTTP_IRI = re.compile(r"^https?://[^\s<>\"{}|\\^`]+\Z")

PATTERNS = {
    "programme": "id/programme/{programme}",
    "round": "id/programme/{programme}/round/{round}",
    "network": "id/network/{programme}/{network}",
    "municipality": "id/municipality/{code}",
    "trial": "id/trial/{programme}/{trial}",
    "statute": "id/statute/{statute}",
    "provision": "id/statute/{statute}/{path}",
    "exemption": "id/exemption/{programme}/{trial}/{target}",
    "legal-basis": "id/legal-basis/{programme}/{trial}/{target}",
    "application": "id/application/{programme}/{application}",
    "evaluation": "id/evaluation/{programme}/{network}/{evaluation}",
    "outcome": "id/outcome/{outcome}",
    # subject, status and source document identify an observation (data/README.md)
    "observation": "id/observation/{about}/{subject}/{status}/{doc}",
    "document": "id/source/{doc}",
    "excerpt": "id/source/{doc}/lines/{lines}",
    "dataset": "id/dataset",
    # the dataset's own description (DCAT-AP, VoID): fixed parts under the dataset IRI
    "dataset-part": "id/dataset/{part}",
}

#: Links out, each derived from a value the data holds, never guessed. Dataforsyningen's DAGI
#: municipality by its four-digit kommunekode (why this register: the rdfs:comment on fk:Municipality).
MUNICIPALITY_REGISTER = "https://api.dataforsyningen.dk/kommuner/"
#: Retsinformation's ELI space: a statute's ELI is data/statutes.yaml's `eli`, where it is known
RETSINFORMATION_ELI = "https://www.retsinformation.dk/eli/"


def municipality_register(code: str) -> str:
    """The municipality's entry in Danmarks Administrative Geografiske Inddeling (DAGI), by its code."""
    return MUNICIPALITY_REGISTER + code


_SEGMENT = {"kap": "kap{}", "p": "p{}", "stk": "stk{}", "nr": "nr{}", "litra": "litra-{}", "pkt": "pkt{}"}
_SAFE = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def slug(text: str) -> str:
    """The project's slug rule for Danish names: å→aa, æ→ae, ø→oe, lower case, hyphens."""
    text = text.lower().replace("å", "aa").replace("æ", "ae").replace("ø", "oe")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def mint(kind: str, base: str = DEFAULT_BASE, **parts: object) -> str:
    """Fill the pattern for `kind`. Every part must already be a safe lower-case segment."""
    values = {}
    for key, value in parts.items():
        value = str(value)
        for seg in value.split("/"):
            if not _SAFE.match(seg):
                raise ValueError(f"IRI part {key}={value!r} is not lower-case ASCII letters, digits and hyphens")
        values[key] = value
    return base + PATTERNS[kind].format(**values)


def provision_path(provision: Provision) -> str:
    """`(("p","70 d"),("stk","1"),("pkt","3"))` → `p70d/stk1/pkt3`."""
    return _path(provision.path)


@lru_cache(maxsize=100_000)
def _path(path: tuple) -> str:
    # memoised: a large register cites the same few thousand provisions again and again
    return "/".join(_SEGMENT[level].format(slug(value).replace("-", "")) for level, value in path)


def forget() -> None:
    """Drop the memoised provision paths when a build is done: entries made among its records
    would keep their freed heap resident (figures in benchmarks/README.md)."""
    _path.cache_clear()


def statute(abbreviation: str, base: str = DEFAULT_BASE) -> str:
    return mint("statute", base, statute=abbreviation.lower())


def provision(p: Provision, base: str = DEFAULT_BASE) -> str:
    """The provision's IRI; the statute's own IRI when the citation names no provision."""
    if not p.path:
        return statute(p.statute, base)
    return mint("provision", base, statute=p.statute.lower(), path=provision_path(p))


def _target(p: Provision) -> str:
    return p.statute.lower() + ("/" + provision_path(p) if p.path else "")


def exemption(programme: str, trial: str, p: Provision, base: str = DEFAULT_BASE) -> str:
    return mint("exemption", base, programme=programme, trial=trial, target=_target(p))


def legal_basis(programme: str, trial: str, p: Provision, base: str = DEFAULT_BASE) -> str:
    return mint("legal-basis", base, programme=programme, trial=trial, target=_target(p))


def evaluation(programme: str, network: int | None, evaluator: str, design: str, base: str = DEFAULT_BASE) -> str:
    """Evaluations have no name of their own: evaluator plus a digest of the design text."""
    digest = hashlib.sha1(design.encode("utf-8")).hexdigest()[:8]
    return mint("evaluation", base, programme=programme, network=network if network is not None else "programme",
                evaluation=f"{slug(evaluator)}-{digest}")


def excerpt(doc: str, start: int, end: int, base: str = DEFAULT_BASE) -> str:
    return mint("excerpt", base, doc=doc, lines=f"{start}-{end}")


def concept(scheme: str, value: str) -> str:
    """A concept of one of the ontology's SKOS schemes, e.g. concept('status', 'approved')."""
    return f"{ONTOLOGY}{scheme}-{slug(value)}"
