"""The stored questions on the site: every query that runs with its defaults gets a page of its own
with the whole answer, and beside it the answer as CSV and JSON and the `.rq` file that asks it; the
index shows each answer's first rows and links to all four. Descriptions are Markdown, rendered
with markdown-it-py (raw HTML in them is escaped, never passed through). Headings, column names and
SKOS code values (statuses, decisions, kinds) are shown in Danish with the English beside them."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from fkgraph.publishing.pages import FK, Site, text
from fkgraph.sparql import catalogue as _catalogue, resolve as _resolve, results as _results

if TYPE_CHECKING:
    from fkgraph.rdf.store import Built

FOLDER = "queries"
PREVIEW = 10   # rows of each answer on the index; the question's own page has them all

#: query name → its summary in Danish (the .rq files carry the English one, grlc allows no other key)
SUMMARY_DA = {
    "applications": "Ansøgninger, der ikke blev til forsøg som ansøgt – afgørelse, runde, begrundelse",
    "exemptions": "Alle fritagelser – én række pr. forsøg og atomar bestemmelse",
    "made-permanent": "Forsøgsregler anbefalet til eller gjort til permanent lov – med deres forsøg",
    "most-exempted-provisions": "Bestemmelser efter antal forsøg fritaget fra dem, hele eller pr. paragraf",
    "most-exempted-statutes": "Love efter antal forsøg fritaget fra dem",
    "municipalities": "Alle kommuner – kommunekode, navn, de netværk, kommunen er med i",
    "municipality-trials": "En kommunes forsøg, efter navn eller kommunekode",
    "network-overview": "Hvert netværk i overblik – medlemmer, forsøg efter status, fritagelser, ansøgninger efter afgørelse",
    "observations": "Hvad de senere kilder siger om hvert netværk og program – datoer, tal, kildelinjer",
    "shared-provisions": "Bestemmelser, der blev fraveget i mere end ét netværk",
    "sources": "Fakta pr. kildedokument, og fakta uden kilde (datakvalitet)",
    "statute-network-matrix": "Fritagelser pr. lov og netværk – én række pr. lov, én kolonne pr. netværk",
    "status-history": "Et eller alle forsøgs statushistorik, ældste først – datoer og kildelinjer",
    "statutes": "Alle love – forkortelse, dansk titel, type, ELI i Retsinformation",
    "trials-exempting": "Forsøg fritaget fra en lov eller bestemmelse, eller fra en bestemmelse under den",
    "trials-without-exemption": "Forsøg, der hviler på en hjemmel, ikke behøver fritagelse eller ikke nævner en bestemmelse",
    "trials": "Alle forsøg – netværk, overordnet række, dansk navn, status, startdato, kommuner",
}
#: column name → Danish heading (the column names themselves are the stable English API)
COLUMNS_DA = {
    "application": "ansøgning", "applications": "ansøgninger", "approved": "godkendt", "citation": "ordlyd",
    "code": "kommunekode", "decision": "afgørelse", "document": "dokument", "eli": "ELI", "example": "eksempel",
    "exemptions": "fritagelser", "expected": "forventet", "facts": "fakta", "general_law": "almindelig lov",
    "kind": "art", "kinds": "arter", "legal_basis": "hjemmel", "members": "medlemmer", "municipalities": "kommuner",
    "name": "navn", "name_da": "dansk navn", "network": "netværk", "network_numbers": "netværksnumre",
    "networks": "netværk", "not_needed": "ikke nødvendig", "outcome": "resultat", "parent": "overordnet række",
    "partly_granted": "delvis imødekommet", "possible": "mulig", "provision": "bestemmelse",
    "provisions": "bestemmelser", "reason": "begrundelse", "rejected": "afvist", "round": "runde",
    "start_date": "startdato", "status": "status", "statute": "lov", "statutes": "love", "text": "tekst",
    "tie": "tilknytning", "title": "titel", "total": "i alt", "trial": "forsøg", "trial_name_da": "forsøgets navn",
    "trials": "forsøg", "type": "type", "withdrawn": "trukket tilbage", "other": "anden status", "date": "dato",
    "not_before": "tidligst", "not_after": "senest", "source": "kilde", "lines": "linjer", "programme": "program",
    "involved": "involverede kommuner", "planned": "planlagt", "recommendations": "anbefalinger",
}
#: column → the concept schemes (fk:{prefix}-{code}) whose codes its values are
CODES = {"status": ("status",), "decision": ("decision",), "kind": ("kind", "outcome"), "kinds": ("kind",),
         "type": ("statute-type", "document-kind")}


@dataclass
class Question:
    name: str
    summary_da: str
    summary_en: str
    description: str                 # rendered Markdown (HTML)
    needs: list[str]
    source: str                      # the .rq file as stored
    columns: list[tuple[str, str]] = field(default_factory=list)   # (English name, Danish heading)
    rows: list[list[Any]] = field(default_factory=list)            # every row, raw values
    error: str | None = None

    @property
    def page(self) -> str:
        return f"{FOLDER}/{self.name}.html"

    def file(self, ext: str) -> str:
        return f"{FOLDER}/{self.name}.{ext}"


def markdown(source: str) -> str:
    """CommonMark to HTML; HTML in the source is shown as text, links keep only safe schemes."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).render(source)


def answer(built: Built, queries_dir) -> tuple[list[Question], dict[str, _results.Rows]]:
    """Each stored query, run with its defaults where it needs no value; and the answers by name."""
    out, answers = [], {}
    resolve = _resolve.resolver(built.store)
    for q in _catalogue.catalogue(queries_dir).values():
        needs = [p.name for p in q.params if p.required and not p.default]
        item = Question(q.name, SUMMARY_DA.get(q.name, q.summary), q.summary, markdown(q.description), needs, q.text)
        out.append(item)
        if needs:
            continue
        try:
            rows = _results.run(q, built.store, {}, resolve)
        except _catalogue.QueryError as e:
            item.error = str(e)
            continue
        answers[q.name] = rows
        item.columns = [(c, COLUMNS_DA.get(c, c.replace("_", " "))) for c in rows.columns]
        item.rows = rows.rows
    return out, answers


def cells(s: Site, q: Question, here: str, limit: int | None = None) -> list[list[dict]]:
    """The rows as the templates show them: IRIs as links, codes with their Danish and English labels."""
    return [[_cell(s, v, col, here) for (col, _), v in zip(q.columns, r)] for r in q.rows[:limit]]


def _cell(s: Site, v: Any, column: str, here: str) -> dict:
    if isinstance(v, str) and v.startswith(("http://", "https://")):
        return s.value(ox.NamedNode(v), here)
    value = "" if v is None else str(v)
    if column in CODES and value:
        da, en = [], []
        for code in value.split(";"):
            iri = next((f"{FK}{p}-{code}" for p in CODES[column] if f"{FK}{p}-{code}" in s.labels), None)
            da.append(s.label(iri) if iri else code)
            en.append(s.label(iri, "en") if iri else code)
        return text("; ".join(da), "; ".join(en) if en != da else None)
    return text(value)


def write(out, s: Site, questions: list[Question], answers: dict[str, _results.Rows]) -> None:
    """Each answered question's page, CSV, JSON and `.rq` (the file as stored, decorators and all)."""
    for q in questions:
        out.write(q.file("rq"), q.source)
        if q.name not in answers:
            continue
        rows = answers[q.name]
        for fmt in ("csv", "json"):  # api/ as `fkgraph serve` answers GET /api/{query}.csv
            body = _results.render(rows, fmt)
            out.write(q.file(fmt), body)
            out.write(f"api/{q.name}.{fmt}", body)
        out.render("question.html", q.page, q=q, rows=cells(s, q, q.page),
                   files={ext: s.href(q.file(ext), q.page) for ext in ("csv", "json", "rq")},
                   crumbs=[(s.href("index.html", q.page), "Forside", "Home"),
                           (s.href("index.html", q.page) + "#questions", "Spørgsmål og svar", "Questions and answers"),
                           (None, q.summary_da, q.summary_en)])
