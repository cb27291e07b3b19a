"""Run a stored query on the embedded store and give its rows as plain values, rendered as text."""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from fkgraph.sparql.binding import bindings, bound_text
from fkgraph.sparql.catalogue import XSD, Query, QueryError

FORMATS = ("table", "csv", "tsv", "json", "jsonl", "markdown")
#: what a CONSTRUCT or DESCRIBE answer is written in: fkgraph.rdf.serialize.RDF_FORMATS, named here so
#: that a query's start-up does not import the serialisers
GRAPH_FORMATS = ("turtle", "ntriples", "jsonld", "rdfxml", "nquads", "trig")


@dataclass
class Rows:
    columns: list[str]
    rows: list[list[Any]]

    def dicts(self) -> list[dict]:
        return [dict(zip(self.columns, r)) for r in self.rows]


@dataclass
class Graph:
    """The answer of a CONSTRUCT or DESCRIBE query: triples, written in an RDF format."""
    triples: list

    def __len__(self) -> int:
        return len(self.triples)


def value(term) -> Any:
    """A result term as a plain Python value: IRIs as text, numbers as numbers."""
    if term is None:
        return None
    if isinstance(term, ox.Literal):
        dt = term.datatype.value if term.datatype else ""
        if dt in (XSD + "integer", XSD + "long", XSD + "int"):
            try:
                return int(term.value)
            except ValueError:
                return term.value
        if dt == XSD + "decimal" or dt == XSD + "double":
            try:
                return float(term.value)
            except ValueError:
                return term.value
        return term.value
    if isinstance(term, ox.Triple):  # an RDF 1.2 triple term: its N-Triples form
        return str(term)
    return term.value


def natural_key(text: str) -> list:
    """Sort key with digit runs as numbers, the rest case-insensitive: "§ 9" < "§ 48" < "§ 140"."""
    return [int(t) if i % 2 else t.lower() for i, t in enumerate(re.split(r"(\d+)", text))]


def sorted_items(text: str) -> str:
    """A `;`-list cell with its items in natural order: GROUP_CONCAT promises no order, engines differ."""
    return ";".join(sorted(text.split(";"), key=lambda t: (natural_key(t), t))) if text else text


def sort_lists(query: Query, rows: Rows) -> Rows:
    """Sort the items of each `;`-list cell naturally (`sorted_items`)."""
    idx = [i for i, c in enumerate(rows.columns) if c in query.lists]
    for r in rows.rows:
        for i in idx:
            if isinstance(r[i], str) and r[i]:
                r[i] = sorted_items(r[i])
    return rows


def run(query: Query, store: ox.Store, values: dict[str, str] | None = None, resolve=None) -> Rows | Graph:
    """Run a stored query on the embedded store, parameters bound as terms: rows for SELECT and
    ASK (one `result` column), a Graph for CONSTRUCT and DESCRIBE."""
    text = bound_text(query, bindings(query, values or {}, resolve))
    try:
        result = store.query(text)
    except SyntaxError as e:
        raise QueryError(f"{query.path}: SPARQL syntax error: {e}") from None
    if isinstance(result, (bool, ox.QueryBoolean)):
        return Rows(["result"], [[bool(result)]])
    if isinstance(result, ox.QuerySolutions):
        columns = [v.value for v in result.variables]
        # a solution iterates its values in variable order (None when unbound): no lookup by name
        return sort_lists(query, Rows(columns, [[value(t) for t in sol] for sol in result]))
    return Graph(list(result))


# ---- rendering -------------------------------------------------------------------------------

def _cell(v: Any) -> str:
    return "" if v is None else str(v)


def _aligned(rows: Rows, tablefmt: str, escape=lambda s: s) -> str:
    """Rows laid out by tabulate, cells as given (no number parsing), numeric columns right-aligned."""
    from tabulate import tabulate

    numeric = [bool(rows.rows) and all(isinstance(r[i], (int, float)) for r in rows.rows if r[i] is not None)
               for i in range(len(rows.columns))]
    cells = [[escape(_cell(v).replace("\n", " ")) for v in r] for r in rows.rows]
    return tabulate(cells, headers=[escape(c) for c in rows.columns], tablefmt=tablefmt, disable_numparse=True,
                    colalign=["right" if num else "left" for num in numeric]) + "\n"


def short_iri(text: str, prefixes: dict[str, str]) -> str:
    """An http(s) IRI as prefix:local with the longest matching namespace (any local part: this is
    for reading, not for Turtle); other text as it is."""
    if not text.startswith(("http://", "https://")):
        return text
    best = max((ns for ns in prefixes.values() if text.startswith(ns) and len(text) > len(ns)), key=len, default=None)
    return text if best is None else next(p for p, ns in prefixes.items() if ns == best) + ":" + text[len(best):]


def fitted(rows: Rows, width: int | None, prefixes: dict[str, str] | None = None) -> Rows:
    """Rows for a terminal `width` columns wide: IRIs shortened with `prefixes`, then the widest
    columns cut (ending in …) until the `simple` table fits, each column keeping at least 6 characters."""
    from fkgraph.rdf.terms import PREFIXES

    prefixes = prefixes or PREFIXES
    cells = [[short_iri(v, prefixes) if isinstance(v, str) else v for v in r] for r in rows.rows]
    if not width:
        return Rows(rows.columns, cells)
    # tabulate pads each header by 2 (its MIN_PADDING), so a column is at least its header + 2 wide
    natural = [max([len(c) + 2] + [len(_cell(r[i]).replace("\n", " ")) for r in cells]) for i, c in enumerate(rows.columns)]
    limits = _shares(natural, max(6 * len(natural), width - 2 * (len(natural) - 1) - 1))

    def cut(v, n):
        text = _cell(v).replace("\n", " ")
        return v if len(text) <= n else text[:n - 1] + "…"
    header = [c if len(c) + 2 <= n else c[:n - 3] + "…" for c, n in zip(rows.columns, limits)]
    return Rows(header, [[cut(v, n) for v, n in zip(r, limits)] for r in cells])


def _shares(natural: list[int], budget: int) -> list[int]:
    """Column widths summing to at most `budget`: narrow columns keep their width, the wide ones
    share what is left equally (water-filling)."""
    limits, wide = list(natural), set(range(len(natural)))
    while wide:
        share = (budget - sum(limits[i] for i in range(len(limits)) if i not in wide)) // len(wide)
        narrow = {i for i in wide if natural[i] <= share}
        if not narrow:
            for i in wide:
                limits[i] = max(6, share)
            break
        wide -= narrow
    return limits


def render(rows: Rows, fmt: str = "csv", width: int | None = None, prefixes: dict[str, str] | None = None) -> str:
    """Rows as table, csv, tsv, json, jsonl or markdown text. The table (only) shows IRIs as
    prefixed names and, given a terminal `width`, cuts its widest columns to fit."""
    if fmt == "json":
        return json.dumps(rows.dicts(), ensure_ascii=False, indent=2) + "\n"
    if fmt == "jsonl":
        return "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in rows.dicts())
    if fmt in ("csv", "tsv"):
        buf = io.StringIO()
        w = csv.writer(buf, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
        w.writerow(rows.columns)
        w.writerows([[_cell(v) for v in r] for r in rows.rows])
        return buf.getvalue()
    if fmt == "markdown":
        return _aligned(rows, "pipe", lambda s: s.replace("|", "\\|"))
    if fmt == "table":
        return _aligned(fitted(rows, width, prefixes), "simple")
    raise QueryError(f"unknown format {fmt!r}; use one of: {', '.join(FORMATS)}")


# ---- answers as bytes --------------------------------------------------------------------------

#: file extensions of tabular answers; RDF ones are fkgraph.rdf.serialize.format_for's
TABULAR_EXTENSIONS = {"csv": "csv", "tsv": "tsv", "json": "json", "jsonl": "jsonl", "ndjson": "jsonl",
                      "md": "markdown", "txt": "table"}


def output_format(path: str, fmt: str | None) -> str | None:
    """The format `fmt` or the file's extension asks for (.gz aside); QueryError when they disagree."""
    import os

    name = path.removesuffix(".gz")
    ext = name.rsplit(".", 1)[-1].lower() if "." in os.path.basename(name) else ""
    implied = TABULAR_EXTENSIONS.get(ext)
    if implied is None and ext:
        from fkgraph.rdf.serialize import format_for
        implied = format_for(name, None)
    if fmt and implied and fmt != implied:
        raise QueryError(f"{path}: the extension says {implied}, --format says {fmt}; rename the file or drop --format")
    return fmt or implied


def encode(answer: Rows | Graph, fmt: str | None, default: str = "csv", width: int | None = None,
           prefixes: dict[str, str] | None = None) -> bytes:
    """Rows in a tabular format (`default` when none is given), a Graph in an RDF format (Turtle
    when none is given); QueryError when the format does not fit the answer."""
    if isinstance(answer, Graph):
        if fmt in FORMATS:
            raise QueryError(f"the query gives a graph (CONSTRUCT or DESCRIBE): use --format {'|'.join(GRAPH_FORMATS)}")
        from fkgraph.rdf.serialize import serialize
        return serialize(answer.triples, fmt or "turtle")
    if fmt in GRAPH_FORMATS:
        raise QueryError(f"the query gives rows (SELECT or ASK): use --format {'|'.join(FORMATS)}")
    fmt = fmt or default
    return render(answer, fmt, width=width if fmt == "table" else None, prefixes=prefixes).encode("utf-8")
