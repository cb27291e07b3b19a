"""The stored query catalogue: `.rq` files with grlc `#+` decorators, read into Query objects.

A stored query is a file, not a string in code (ferenda's habit): its `#+` decorator lines
(grlc) carry the summary, description, tags, defaults and enumerations; its parameters are
BASIL-style variables (`?_name` required, `?__name` optional, with a type suffix such as
`_iri`, `_literal`, `_integer`, `_xsd_date`).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

from fkgraph.errors import UsageError
from fkgraph.rdf.terms import PREFIXES

XSD = PREFIXES["xsd"]
_PARAM = re.compile(r"\?(__?)([A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*)")
_TYPES = {"iri": None, "literal": None, "integer": XSD + "integer", "xsd_date": XSD + "date",
          "xsd_integer": XSD + "integer", "xsd_boolean": XSD + "boolean", "xsd_string": XSD + "string"}
_LIST = re.compile(r"\(\s*GROUP_CONCAT\s*\([^;]*;\s*separator\s*=\s*(?:\"\s*;\s*\"|'\s*;\s*')\s*\)\s*AS\s+\?(\w+)\s*\)",
                   re.I | re.S)


def spelled(name: str) -> str:
    """A parameter name as the query declares it: a SPARQL variable (and grlc) has no hyphen, so
    `as-of` is the parameter `asof`."""
    return name.replace("-", "")


class QueryError(UsageError):
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
        name = spelled(name)
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


def _merged(entries) -> dict:
    """grlc's `defaults` / `enumerate`: a list of one-key mappings, merged into one."""
    out = {}
    for entry in entries or []:
        if isinstance(entry, dict):
            out.update(entry)
    return out


def load(path: str | Path) -> Query:
    """A stored query from its `.rq` file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise QueryError(f"{path}: cannot read query file ({e})") from None
    return parse(text, path)


def from_text(text: str, name: str = "sparql") -> Query:
    """An ad-hoc query from its text (`--sparql`, standard input), read as a stored one would be."""
    return parse(text, Path(name), name)


def parse(text: str, path: Path, query_name: str | None = None) -> Query:
    """Query text with its decorators, parameters and projected columns read."""
    meta = _decorators(text, path)
    defaults = {str(k): str(v) for k, v in _merged(meta.get("defaults")).items()}
    enums = {str(k): tuple(str(x) for x in (v or [])) for k, v in _merged(meta.get("enumerate")).items()}
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
    return Query(name=query_name or path.stem, path=path, text=text, summary=str(meta.get("summary", "")).strip(),
                 description=str(meta.get("description", "")).strip(), tags=list(meta.get("tags", []) or []),
                 params=params, columns=columns, lists=lists)


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


def catalogue(directory: str | Path, broken: list[QueryError] | None = None) -> dict[str, Query]:
    """All stored queries in a folder, by name. With a `broken` list, a file that does not load
    is added to it and skipped (the others stay usable); without, its QueryError is raised."""
    found = {}
    for path in sorted(Path(directory).glob("*.rq")):
        try:
            q = load(path)
        except QueryError as e:
            if broken is None:
                raise
            broken.append(e)
            continue
        found[q.name] = q
    return found


def find(name_or_file: str, directory: str | Path) -> Query:
    """A stored query by name, or any `.rq` file by path."""
    if name_or_file.endswith(".rq") or "/" in name_or_file:
        if not Path(name_or_file).is_file():
            raise QueryError(f"{name_or_file}: no such query file")
        return load(name_or_file)
    direct = Path(directory) / f"{name_or_file}.rq"
    if re.fullmatch(r"[A-Za-z0-9_-]+", name_or_file) and direct.is_file():
        return load(direct)
    queries = catalogue(directory, broken=[])  # a broken file elsewhere does not hide the others
    if name_or_file not in queries:
        import difflib
        near = difflib.get_close_matches(name_or_file, queries, n=3)
        hint = f"; did you mean {', '.join(near)}?" if near else f"; known: {', '.join(queries)}"
        raise QueryError(f"no stored query named {name_or_file!r}{hint} (list them with `fkgraph queries`)")
    return queries[name_or_file]


@functools.cache
@functools.lru_cache(maxsize=None)
def internal(name: str, package: str = "fkgraph.sparql") -> str:
    """The text of one of fkgraph's own queries (`PACKAGE/rq/NAME.rq`, shipped in the wheel)."""
    from importlib import resources

    return resources.files(package).joinpath("rq", name + ".rq").read_text(encoding="utf-8")


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
