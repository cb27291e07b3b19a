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
    return term.value


def natural_key(text: str) -> list:
    """Sort key with digit runs as numbers, the rest case-insensitive: "§ 9" < "§ 48" < "§ 140"."""
    return [int(t) if i % 2 else t.lower() for i, t in enumerate(re.split(r"(\d+)", text))]


def sort_lists(query: Query, rows: Rows) -> Rows:
    """Sort the items of each `;`-list cell naturally: GROUP_CONCAT promises no order, engines differ."""
    idx = [i for i, c in enumerate(rows.columns) if c in query.lists]
    for r in rows.rows:
        for i in idx:
            if isinstance(r[i], str) and r[i]:
                r[i] = ";".join(sorted(r[i].split(";"), key=lambda t: (natural_key(t), t)))
    return rows


def run(query: Query, store: ox.Store, values: dict[str, str] | None = None, resolve=None) -> Rows:
    """Run a stored query on the embedded store, parameters bound as terms."""
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
    raise QueryError(f"{query.name}: only SELECT and ASK queries give rows; use export for graphs")


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


def render(rows: Rows, fmt: str = "csv") -> str:
    """Rows as table, csv, tsv, json, jsonl or markdown text."""
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
        return _aligned(rows, "simple")
    raise QueryError(f"unknown format {fmt!r}; use one of: {', '.join(FORMATS)}")
