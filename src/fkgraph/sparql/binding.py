"""Bind what users type to a stored query's parameters: RDF terms, never query text.

Values are checked and turned into terms (`to_term`), then written into the query as one
`VALUES ?var { term }` block per parameter (`bound_text`), in N-Triples syntax by pyoxigraph,
so a value can never become query syntax. Works the same on every SPARQL 1.1 engine.
"""
from __future__ import annotations

import re
import unicodedata

import pyoxigraph as ox

from fkgraph.model import iris
from fkgraph.sparql import catalogue
from fkgraph.sparql.catalogue import XSD, Param, Query, QueryError

MAX_VALUE = 100_000
_UNICODE_ESCAPE = re.compile(r"\\[uU][0-9A-Fa-f]{4}")
_WHERE = re.compile(r"\bWHERE\s*\{", re.I)
_OPTIONAL_FILTER = re.compile(r"FILTER\s*\(\s*!\s*BOUND\s*\(\s*\?(__[A-Za-z0-9_]+)\s*\)\s*\|\|", re.I)


def _checked_text(param: Param, value: str) -> str:
    """The value as text, or QueryError for what no engine would take as typed."""
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
    return value


def to_term(param: Param, value: str, resolve=None) -> ox.NamedNode | ox.Literal:
    """Turn what a user typed into one RDF term for `param`, or raise QueryError."""
    value = _checked_text(param, value)
    if param.kind == "iri":
        node = resolve(param, value) if resolve else None
        if node is not None:
            return node
        if iris.HTTP_IRI.match(value):
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


def single_values(pairs) -> dict[str, str]:
    """(name, value) pairs as one value per name; QueryError for a name given twice (every
    parameter of a stored query takes one value)."""
    out: dict[str, str] = {}
    for name, value in pairs:
        if name in out:
            raise QueryError(f"parameter {name} is given twice ({out[name]!r} and {value!r}); "
                             f"each parameter takes one value")
        out[name] = value
    return out


def bindings(query: Query, values: dict[str, str], resolve=None) -> dict[str, ox.NamedNode | ox.Literal]:
    """Check the user's values against the query's parameters; fill defaults; convert to terms."""
    out = {}
    values = {catalogue.spelled(name): value for name, value in values.items()}
    for name in values:
        query.param(name)  # raises on an unknown name
    for p in query.params:
        value = values.get(p.name, values.get(p.variable, p.default))
        if value is None or value == "":
            if p.required:
                raise QueryError(f"query {query.name} needs parameter {p.name} (-p {p.name}=VALUE)")
            continue
        # NFC, as the records are stored: "Århus" typed decomposed finds what composed finds
        out[p.variable] = to_term(p, unicodedata.normalize("NFC", value) if isinstance(value, str) else value, resolve)
    return out


def bound_text(query: Query, bound: dict[str, ox.NamedNode | ox.Literal]) -> str:
    """The query with one `VALUES ?var { term }` block per bound parameter, placed first in the
    outermost WHERE group so that filters there see it, and in each sub-select that uses it (as
    grlc, which replaces the variable everywhere, would); unbound optional parameters stay unbound.

    The optional-parameter idiom `FILTER(!BOUND(?__p) || expr)` is simplified first
    (`simplify_optional_filters`): engines plan a disjunction on an unbound variable badly."""
    text = simplify_optional_filters(query.text, {p.variable for p in query.params if not p.required}, bound)
    if not bound:
        return text
    masked = mask(text)
    wheres = list(_WHERE.finditer(masked))
    if not wheres:
        raise QueryError(f"{query.path}: parameters need a WHERE {{ … }} clause to bind into")
    # a sub-select sees none of the outer VALUES: it gets the parameters it uses itself, and the
    # outer group only those it uses outside the sub-selects (rdflib mis-joins a sub-select under
    # OPTIONAL with an outer VALUES of a variable the sub-select does not project)
    spans = [(m.end(), _closing(masked, m.end() - 1, "{}") or len(masked)) for m in wheres[1:]]
    subs = [masked[start:end] for start, end in spans]
    outside = masked
    for start, end in spans:
        outside = outside[:start] + " " * (end - start) + outside[end:]

    def uses(group: str, var: str) -> bool:
        return re.search(rf"\?{re.escape(var)}\b", group) is not None
    inserts = [(wheres[0].end(), [v for v in bound if uses(outside, v) or not any(uses(g, v) for g in subs)])]
    inserts += [(start, [v for v in bound if uses(g, v)]) for (start, _), g in zip(spans, subs)]
    for at, names in sorted(inserts, reverse=True):
        text = text[:at] + "".join(f"\n  VALUES ?{v} {{ {bound[v]} }}" for v in sorted(names)) + text[at:]
    return text


def internal(name: str, package: str = "fkgraph.sparql", **values: ox.NamedNode | ox.Literal) -> str:
    """One of fkgraph's own queries (`PACKAGE/rq/NAME.rq`) with its variables bound as terms."""
    from pathlib import Path

    text = catalogue.internal(name, package)
    return bound_text(Query(name=name, path=Path(f"{name}.rq"), text=text), values) if values else text


def _closing(masked: str, open_at: int, pair: str = "()") -> int | None:
    """The index of the bracket that closes the one at `open_at`; None when unbalanced."""
    depth = 0
    for i in range(open_at, len(masked)):
        if masked[i] == pair[0]:
            depth += 1
        elif masked[i] == pair[1]:
            depth -= 1
            if depth == 0:
                return i
    return None


def simplify_optional_filters(text: str, optional: set[str], bound: dict) -> str:
    """`FILTER(!BOUND(?__p) || expr)` for an optional parameter ?__p: dropped when ?__p is unbound
    (the filter is then true for every solution), `FILTER(expr)` when it is bound and the filter
    stands in the outermost WHERE group, beside the VALUES block (where BOUND(?__p) is then always
    true). `||` binds loosest, so `expr` is everything up to the FILTER's closing parenthesis.
    A filter nested deeper, or one whose parameter the query binds itself, is left as written."""
    masked = mask(text)
    where = _WHERE.search(masked)
    if not where:
        return text
    own = set(re.findall(r"\bAS\s+\?(__[A-Za-z0-9_]+)", masked, re.I))
    cuts = []  # (start, end, replacement)
    for m in _OPTIONAL_FILTER.finditer(masked, where.end()):
        var = m.group(1)
        if var not in optional or var in own:
            continue
        i = _closing(masked, masked.index("(", m.start()))
        if i is None:
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


def mask(text: str) -> str:
    """Blank out comments, string literals and IRIs (same length), so that searching the query
    text for keywords and variables cannot match inside them."""
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
