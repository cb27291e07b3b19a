"""Stored SPARQL queries: load `.rq` files with grlc decorators, bind parameters, run, render.

A stored query is a file, not a string in code (ferenda's habit): its `#+` decorator lines
(grlc) carry the summary, description, tags, defaults and enumerations; its parameters are
BASIL-style variables (`?_name` required, `?__name` optional, with a type suffix such as
`_iri`, `_literal`, `_integer`, `_xsd_date`). Values are bound as RDF terms through the
engine's substitutions, never spliced into the query text.
"""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import pyoxigraph as ox

XSD = "http://www.w3.org/2001/XMLSchema#"
FORMATS = ("table", "csv", "tsv", "json", "jsonl", "markdown")
MAX_VALUE = 100_000
_UNICODE_ESCAPE = re.compile(r"\\[uU][0-9A-Fa-f]{4}")
_PARAM = re.compile(r"\?(__?)([A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*)")
_TYPES = {"iri": None, "literal": None, "integer": XSD + "integer", "xsd_date": XSD + "date",
          "xsd_integer": XSD + "integer", "xsd_boolean": XSD + "boolean", "xsd_string": XSD + "string"}


class QueryError(ValueError):
    """A usage error: unknown query, bad parameter value, unreadable .rq file."""


@dataclass(frozen=True)
class Param:
    name: str            # as the user types it: "statute"
    variable: str        # as in the query: "_statute_iri"
    required: bool
    kind: str            # iri | literal | integer | xsd_date | …
    lang: str | None = None
    default: str | None = None
    enum: tuple[str, ...] = ()
    description: str = ""


@dataclass
class Query:
    name: str
    path: Path
    text: str
    summary: str = ""
    description: str = ""
    tags: list[str] = field(default_factory=list)
    params: list[Param] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    lists: list[str] = field(default_factory=list)   # columns made by GROUP_CONCAT(…; separator=";")

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name or p.variable == name:
                return p
        raise QueryError(f"query {self.name} has no parameter {name!r}; it takes: "
                         f"{', '.join(p.name for p in self.params) or 'no parameters'}")


def _decorators(text: str, path: Path) -> dict:
    import yaml

    lines = []
    for line in text.splitlines():
        if line.startswith("#+"):
            lines.append(line[3:] if line.startswith("#+ ") else line[2:])
        elif line.strip() and not line.startswith("#"):
            break
    if not lines:
        return {}
    try:
        meta = yaml.safe_load("\n".join(lines)) or {}
    except yaml.YAMLError as e:
        raise QueryError(f"{path}: the #+ decorators are not valid YAML ({e})") from None
    if not isinstance(meta, dict):
        raise QueryError(f"{path}: the #+ decorators must be 'key: value' lines")
    return meta


def _split_param(variable: str) -> tuple[str, str, str | None]:
    """`_statute_iri` → ("statute", "iri", None); `_name_en` → ("name", "literal", "en")."""
    body = variable.lstrip("_")
    for suffix in sorted(_TYPES, key=len, reverse=True):
        if body.endswith("_" + suffix):
            return body[: -len(suffix) - 1], suffix, None
    m = re.match(r"^(.*)_([a-z]{2})$", body)
    if m:
        return m.group(1), "literal", m.group(2)
    return body, "literal", None


def load(path: str | Path) -> Query:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise QueryError(f"{path}: cannot read query file ({e})") from None
    meta = _decorators(text, path)
    defaults = {}
    for d in meta.get("defaults", []) or []:
        if isinstance(d, dict):
            defaults.update({str(k): str(v) for k, v in d.items()})
    enums = {}
    for e in meta.get("enumerate", []) or []:
        if isinstance(e, dict):
            enums.update({str(k): tuple(str(x) for x in (v or [])) for k, v in e.items()})
    docs = meta.get("params", {}) or {}
    body = "\n".join(l for l in text.splitlines() if not l.lstrip().startswith("#"))
    params, seen = [], set()
    for m in _PARAM.finditer(body):
        variable = m.group(1) + m.group(2)
        if variable in seen:
            continue
        seen.add(variable)
        name, kind, lang = _split_param(variable)
        key = next((k for k in (name, variable) if k in defaults or k in enums), name)
        params.append(Param(name=name, variable=variable, required=m.group(1) == "_", kind=kind, lang=lang,
                            default=defaults.get(key), enum=enums.get(key, ()),
                            description=str(docs.get(name, "")) if isinstance(docs, dict) else ""))
    select = re.search(r"\bSELECT\b(.*?)\bWHERE\b", body, re.S | re.I)
    columns = [c for c in re.findall(r"\?(\w+)", _strip_exprs(select.group(1)))] if select else []
    lists = [c for c in _LIST.findall(select.group(1)) if c in columns] if select else []
    return Query(name=path.stem, path=path, text=text, summary=str(meta.get("summary", "")).strip(),
                 description=str(meta.get("description", "")).strip(), tags=list(meta.get("tags", []) or []),
                 params=params, columns=columns, lists=lists)


_LIST = re.compile(r"\(\s*GROUP_CONCAT\s*\([^;]*;\s*separator\s*=\s*(?:\"\s*;\s*\"|'\s*;\s*')\s*\)\s*AS\s+\?(\w+)\s*\)",
                   re.I | re.S)


def _strip_exprs(projection: str) -> str:
    """`?a (COUNT(?x) AS ?n) ?b` → `?a ?n ?b`: the projected names, in order."""
    out, depth, buf = [], 0, ""
    for ch in projection:
        if ch == "(":
            depth += 1
            buf = "" if depth == 1 else buf
        elif ch == ")":
            depth -= 1
            if depth == 0:
                m = re.search(r"\bAS\s+(\?\w+)\s*$", buf, re.I)
                out.append(m.group(1) if m else "")
                continue
        if depth:
            buf += ch
        else:
            out.append(ch)
    return "".join(out)


def catalogue(directory: str | Path) -> dict[str, Query]:
    """All stored queries in a folder, by name."""
    return {q.name: q for q in (load(p) for p in sorted(Path(directory).glob("*.rq")))}


def find(name_or_file: str, directory: str | Path) -> Query:
    """A stored query by name, or any `.rq` file by path."""
    if name_or_file.endswith(".rq") or "/" in name_or_file:
        if not Path(name_or_file).is_file():
            raise QueryError(f"{name_or_file}: no such query file")
        return load(name_or_file)
    direct = Path(directory) / f"{name_or_file}.rq"
    if re.fullmatch(r"[A-Za-z0-9_-]+", name_or_file) and direct.is_file():
        return load(direct)
    queries = catalogue(directory)
    if name_or_file not in queries:
        import difflib
        near = difflib.get_close_matches(name_or_file, queries, n=3)
        hint = f"; did you mean {', '.join(near)}?" if near else f"; known: {', '.join(queries)}"
        raise QueryError(f"no stored query named {name_or_file!r}{hint} (list them with `fkgraph queries`)")
    return queries[name_or_file]


# ---- binding ---------------------------------------------------------------------------------

def to_term(param: Param, value: str, resolve=None) -> ox.NamedNode | ox.Literal:
    """Turn what a user typed into one RDF term for `param`, or raise QueryError."""
    if not isinstance(value, str):
        value = str(value)
    if "\x00" in value:
        raise QueryError(f"parameter {param.name}: value contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise QueryError(f"parameter {param.name}: value is not valid UTF-8 text") from None
    if _UNICODE_ESCAPE.search(value):
        # Some engines (rdflib, by the SPARQL spec's letter) expand \uXXXX anywhere in the query
        # text before parsing, which would change a bound literal's value: refuse rather than
        # bind something other than what was typed.
        raise QueryError(f"parameter {param.name}: value contains a \\u escape sequence, which SPARQL "
                         f"engines may expand before parsing; write the character itself")
    if len(value) > MAX_VALUE:
        raise QueryError(f"parameter {param.name}: value is {len(value)} characters long; the limit is {MAX_VALUE}")
    if param.enum and value not in param.enum:
        raise QueryError(f"parameter {param.name}: {value!r} is not one of: {', '.join(param.enum)}")
    if param.kind == "iri":
        node = resolve(param, value) if resolve else None
        if node is not None:
            return node
        if re.match(r"^https?://[^\s<>\"{}|\\^`]+$", value):
            return ox.NamedNode(value)
        raise QueryError(f"parameter {param.name}: {value!r} is neither an http(s) IRI nor a name, code or "
                         f"citation found in the data")
    if param.kind in ("integer", "xsd_integer"):
        if not re.fullmatch(r"[+-]?[0-9]{1,18}", value.strip()):
            raise QueryError(f"parameter {param.name}: {value!r} is not a whole number")
        return ox.Literal(str(int(value)), datatype=ox.NamedNode(XSD + "integer"))
    if param.kind == "xsd_date":
        import datetime
        try:
            datetime.date.fromisoformat(value.strip())
        except ValueError:
            raise QueryError(f"parameter {param.name}: {value!r} is not a date; write YYYY-MM-DD") from None
        return ox.Literal(value.strip(), datatype=ox.NamedNode(XSD + "date"))
    if param.kind == "xsd_boolean":
        if value.lower() not in ("true", "false"):
            raise QueryError(f"parameter {param.name}: {value!r} is not true or false")
        return ox.Literal(value.lower(), datatype=ox.NamedNode(XSD + "boolean"))
    if param.lang:
        return ox.Literal(value, language=param.lang)
    return ox.Literal(value)


def bindings(query: Query, values: dict[str, str], resolve=None) -> dict[str, ox.NamedNode | ox.Literal]:
    """Check the user's values against the query's parameters; fill defaults; convert to terms."""
    out = {}
    for name in values:
        query.param(name)  # raises on an unknown name
    for p in query.params:
        value = values.get(p.name, values.get(p.variable, p.default))
        if value is None or value == "":
            if p.required:
                raise QueryError(f"query {query.name} needs parameter {p.name} (-p {p.name}=VALUE)")
            continue
        out[p.variable] = to_term(p, value, resolve)
    return out


def bound_text(query: Query, bound: dict[str, ox.NamedNode | ox.Literal]) -> str:
    """The query with one `VALUES ?var { term }` block per bound parameter, placed first in the
    outermost WHERE group so that filters there see it. Terms are written by pyoxigraph in
    N-Triples syntax (escaped, typed), so a value can never become query syntax; unbound optional
    parameters stay unbound. Works the same on every SPARQL 1.1 engine.

    The optional-parameter idiom `FILTER(!BOUND(?__p) || expr)` is simplified first
    (`simplify_optional_filters`): engines plan a disjunction on an unbound variable badly
    (pyoxigraph 0.5 grew quadratically on it: 5.5 s instead of 0.04 s at 2k trials)."""
    text = simplify_optional_filters(query.text, {p.variable for p in query.params if not p.required}, bound)
    if not bound:
        return text
    m = _WHERE.search(_mask(text))
    if not m:
        raise QueryError(f"{query.path}: parameters need a WHERE {{ … }} clause to bind into")
    block = "".join(f"\n  VALUES ?{var} {{ {term} }}" for var, term in sorted(bound.items()))
    return text[: m.end()] + block + text[m.end():]


_OPTIONAL_FILTER = re.compile(r"FILTER\s*\(\s*!\s*BOUND\s*\(\s*\?(__[A-Za-z0-9_]+)\s*\)\s*\|\|", re.I)


def simplify_optional_filters(text: str, optional: set[str], bound: dict) -> str:
    """`FILTER(!BOUND(?__p) || expr)` for an optional parameter ?__p: dropped when ?__p is unbound
    (the filter is then true for every solution), `FILTER(expr)` when it is bound and the filter
    stands in the outermost WHERE group, beside the VALUES block (where BOUND(?__p) is then always
    true). `||` binds loosest, so `expr` is everything up to the FILTER's closing parenthesis.
    A filter nested deeper, or one whose parameter the query binds itself, is left as written."""
    masked = _mask(text)
    where = _WHERE.search(masked)
    if not where:
        return text
    own = set(re.findall(r"\bAS\s+\?(__[A-Za-z0-9_]+)", masked, re.I))
    cuts = []  # (start, end, replacement)
    for m in _OPTIONAL_FILTER.finditer(masked, where.end()):
        var = m.group(1)
        if var not in optional or var in own:
            continue
        open_at = masked.index("(", m.start())
        depth, i = 0, open_at
        while i < len(masked):
            if masked[i] == "(":
                depth += 1
            elif masked[i] == ")":
                depth -= 1
                if depth == 0:
                    break
            i += 1
        else:
            continue  # unbalanced: let the engine report the syntax error
        if var not in bound:
            cuts.append((m.start(), i + 1, ""))
        elif masked[where.end():m.start()].count("{") - masked[where.end():m.start()].count("}") == 0:
            cuts.append((m.start(), i + 1, "FILTER(" + text[m.end():i].strip() + ")"))
    for start, end, repl in reversed(cuts):
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        if not repl and not text[line_start:start].strip() and not text[end:line_end if line_end >= 0 else None].strip():
            start, end = line_start, (line_end + 1 if line_end >= 0 else len(text))  # the filter's whole line
        text = text[:start] + repl + text[end:]
    return text


_WHERE = re.compile(r"\bWHERE\s*\{", re.I)


def _mask(text: str) -> str:
    """Blank out comments and string literals (same length) so that searching for WHERE is safe."""
    out, i, n = [], 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "#":
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i)); i = j
        elif ch in "\"'":
            q = text[i:i + 3] if text[i:i + 3] in ('"""', "'''") else ch
            j = i + len(q)
            while j < n and text[j:j + len(q)] != q:
                j += 2 if text[j] == "\\" else 1
            j = min(n, j + len(q))
            out.append(" " * (j - i)); i = j
        elif ch == "<":
            j = text.find(">", i)
            j = n if j < 0 else j + 1
            if "\n" in text[i:j] or " " in text[i:j]:
                out.append(ch); i += 1
            else:
                out.append(" " * (j - i)); i = j
        else:
            out.append(ch); i += 1
    return "".join(out)


# ---- running ---------------------------------------------------------------------------------

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
    if isinstance(result, bool):
        return Rows(["result"], [[result]])
    if isinstance(result, ox.QuerySolutions):
        columns = [v.value for v in result.variables]
        # a solution iterates its values in variable order (None when unbound): no lookup by name
        return sort_lists(query, Rows(columns, [[value(t) for t in sol] for sol in result]))
    raise QueryError(f"{query.name}: only SELECT and ASK queries give rows; use export for graphs")


# ---- rendering -------------------------------------------------------------------------------

def _cell(v: Any) -> str:
    return "" if v is None else str(v)


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
    cells = [[_cell(v).replace("\n", " ") for v in r] for r in rows.rows]
    if fmt == "markdown":
        esc = lambda s: s.replace("|", "\\|")
        out = ["| " + " | ".join(rows.columns) + " |", "|" + "|".join("---" for _ in rows.columns) + "|"]
        out += ["| " + " | ".join(esc(c) for c in r) + " |" for r in cells]
        return "\n".join(out) + "\n"
    if fmt == "table":
        widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(rows.columns)]
        numeric = [all(isinstance(r[i], (int, float)) for r in rows.rows if r[i] is not None) and rows.rows
                   for i in range(len(rows.columns))]
        def line(vals):
            return "  ".join(v.rjust(w) if num else v.ljust(w) for v, w, num in zip(vals, widths, numeric)).rstrip()
        out = [line(rows.columns), line(["-" * w for w in widths])] + [line(r) for r in cells]
        return "\n".join(out) + "\n"
    raise QueryError(f"unknown format {fmt!r}; use one of: {', '.join(FORMATS)}")


# ---- resolving what users type -----------------------------------------------------------------

_LOOKUP = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX fk: <https://w3id.org/fkgraph/ontology#>
SELECT DISTINCT ?s ?v WHERE {
  { ?s skos:notation ?n . FILTER(LCASE(STR(?n)) = LCASE(?v)) }
  UNION { ?s rdfs:label ?n . FILTER(LCASE(STR(?n)) = LCASE(?v)) }
  UNION { ?s skos:altLabel ?n . FILTER(LCASE(STR(?n)) = LCASE(?v)) }
  UNION { ?s fk:number ?n . FILTER(STR(?n) = ?v) }
}"""

_FK = "https://w3id.org/fkgraph/ontology#"
_ELI = "http://data.europa.eu/eli/ontology#"
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
    QueryError when several things match. The typed text reaches the store only as a bound
    literal, never as query text.
    """
    def of_class(iri: str, classes: tuple[str, ...]) -> bool:
        node = ox.NamedNode(iri)
        return any(next(store.quads_for_pattern(node, _RDF_TYPE, ox.NamedNode(c)), None) is not None for c in classes)

    def resolve(param: Param, value: str) -> ox.NamedNode | None:
        if re.match(r"^https?://", value):
            return None
        classes = PARAM_CLASSES.get(param.name, ())
        for candidate in candidates(param, value, citation_parser):
            found = sorted({sol["s"].value for sol in store.query(_LOOKUP, substitutions={ox.Variable("v"): ox.Literal(candidate)})
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


# ---- describing a query ----------------------------------------------------------------------

def kind_text(p: Param) -> str:
    """How a parameter's value is written, for help texts."""
    if p.enum:
        return "one of: " + ", ".join(p.enum)
    return {"iri": "name, code, citation or IRI", "integer": "whole number", "xsd_integer": "whole number",
            "xsd_date": "date YYYY-MM-DD", "xsd_boolean": "true or false"}.get(
        p.kind, f"text{' @' + p.lang if p.lang else ''}")


def describe(query: Query) -> str:
    """One query's help: summary, description, parameters (required or optional, what to type,
    default, choices), output columns and an example command."""
    import textwrap

    out = [f"fkgraph query {query.name} [-p NAME=VALUE ...] [--format FORMAT]", ""]
    if query.summary:
        out += [textwrap.fill(query.summary, 92), ""]
    if query.description:
        out += [textwrap.fill(" ".join(query.description.split()), 92), ""]
    if query.params:
        out.append("Parameters:")
        for p in query.params:
            flags = "required" if p.required else "optional"
            line = f"  {p.name:<14} {flags}; {kind_text(p)}"
            if p.default is not None:
                line += f"; default {p.default}"
            out.append(line)
            if p.description:
                out.append(textwrap.fill(p.description, 92, initial_indent=" " * 17, subsequent_indent=" " * 17))
    else:
        out.append("Parameters: none")
    if query.columns:
        out += ["", "Columns: " + ", ".join(query.columns)]
    if query.tags:
        out.append("Tags: " + ", ".join(str(t) for t in query.tags))
    example = [f"fkgraph query {query.name}"]
    for p in query.params:
        if p.required:
            m = re.search(r"e\.g\. (\"[^\"]+\"|\S+)", p.description)
            value = m.group(1).rstrip(",;") if m else (p.enum[0] if p.enum else "…")
            example.append(f"-p {p.name}={value}" if value.startswith('"') else f"-p {p.name}={value!s}")
    out += ["", "Example: " + " ".join(example) + " --format csv",
            f"File: {query.path}"]
    return "\n".join(out) + "\n"
