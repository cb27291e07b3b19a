"""What a valid field of a source record is: the vocabularies, the patterns and one small check
per kind of field, each raising a RecordError at the field's line that says what would be valid."""
from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path
from typing import Any, Iterable

from fkgraph.model.iris import HTTP_IRI
from fkgraph.model.yamlio import Record, RecordError

STATUSES = ("approved", "expected", "possible", "started", "ended", "made-permanent", "lapsed")
#: The codes only dated observations (observations.yaml) use; with STATUSES, fk:TrialStatusScheme.
OBSERVED_STATUSES = ("decided", "announced", "application-deadline", "in-preparation", "active", "delayed",
                     "restricted", "evaluation-planned", "evaluated")
KINDS = ("fritagelse", "fravigelse", "dispensation", "udvidelse")
DECISIONS = ("granted", "partly-granted", "rejected", "withdrawn", "not-needed", "general-law")
OUTCOME_KINDS = ("recommended-permanent", "made-permanent", "not-continued")
STATUTE_TYPES = ("lov", "bekendtgørelse", "other")
# \Z, not $: `$` also matches before a final newline, which would let "lab\n" pass as a slug.
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*\Z")
CODE = re.compile(r"^[0-9]{4}\Z")
LINES = re.compile(r"^([0-9]+)(?:-([0-9]+))?\Z")
STATUTE_ID = re.compile(r"^[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*\Z")   # lower-cased into IRIs: ASCII only
SOURCE_ID = SLUG
SOURCE_KINDS = ("report", "news", "memo")
HTTP_URL = HTTP_IRI
#: An example of each required field, for "missing required field" messages.
EXAMPLES = {
    "id": "id: some-slug", "code": 'code: "0851"', "name": 'name: {da: "…", en: "…"}', "title": 'title: {da: "…", en: "…"}',
    "programme": "programme: frikommune-ii", "number": "number: 4", "file": "file: 004_….txt",
    "start": "start: 2017-07-01", "end": "end: 2020-12-31", "type": f"type: {STATUTE_TYPES[0]}",
    "status": f"status: {STATUSES[0]}", "kind": f"kind: {KINDS[0]}", "decision": f"decision: {DECISIONS[0]}",
    "text": 'text: "Fritagelse fra …"', "doc": 'doc: "004"', "line_count": "line_count: 3317", "lines": 'lines: "307-320"',
    "evaluator": "evaluator: VIVE", "design": 'design: {da: "…"}', "members": 'members: ["0159", "0376"]',
}


def _known(rec: Record, kind: str, where: str) -> None:
    """Refuse a key the schema of `kind` does not name, with the nearest known key: a misspelt
    key would otherwise drop its facts without a word."""
    import difflib

    from fkgraph.model.schema import known_keys

    allowed = known_keys().get(kind)
    if not allowed or not isinstance(rec, dict):
        return
    for key in rec:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), sorted(allowed), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise rec.error(f"{where}: unknown key {str(key)[:60]!r}; {hint}use one of the keys a {kind} has: {', '.join(sorted(allowed))}",
                            key)


def _need(rec: Any, key: str, where: str, kind: type | tuple = str) -> Any:
    if key not in rec or rec[key] is None or rec[key] == "":
        example = EXAMPLES.get(key, f"{key}: …")
        raise rec.error(f"{where}: missing required field '{key}'; add it, e.g. {example}")
    value = rec[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise rec.error(f"{where}: field '{key}' must be {_article(names)}, not {type(value).__name__} {value!r}", key)
    return value


def _article(name: str) -> str:
    return {"str": "text", "int": "a whole number", "list": "a list", "Record": "a mapping", "bool": "true or false"}.get(name, name)


def _expect_record(value: Any, file: str, line: int, where: str) -> Record:
    if not isinstance(value, Record):
        raise RecordError(file, line, f"{where}: expected a mapping (key: value), got {type(value).__name__} {value!r:.60}")
    return value


def _one_of(rec: Record, key: str, allowed: Iterable[str], where: str) -> str:
    value = _need(rec, key, where)
    if value not in allowed:
        raise rec.error(f"{where}: {key} {value!r} is not one of: {', '.join(allowed)}", key)
    return value


def _date(rec: Record, key: str, where: str, required: bool = True) -> str | None:
    if key not in rec and not required:
        return None
    value = _need(rec, key, where, (str, int))
    try:
        if not re.match(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}\Z", str(value)):
            raise ValueError(value)
        return _dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise rec.error(f"{where}: {key} {value!r} is not a real date; write YYYY-MM-DD, e.g. 2017-07-01", key) from None


def _partial_date(rec: Record, key: str, where: str) -> str:
    """A publication date as precise as the document states it: YYYY, YYYY-MM or YYYY-MM-DD."""
    value = str(_need(rec, key, where, (str, int)))
    if re.match(r"^[0-9]{4}(-(0[1-9]|1[0-2]))?\Z", value):
        return value
    return _date(rec, key, where)


def _slug(rec: Record, key: str, where: str) -> str:
    value = _need(rec, key, where)
    if not SLUG.match(value):
        raise rec.error(f"{where}: {key} {value!r} is not a slug; use lower-case a-z, 0-9 and single hyphens (å→aa, æ→ae, ø→oe)", key)
    return value


def _langs(rec: Record, key: str, where: str, required=("da",)) -> Record:
    value = _need(rec, key, where, Record)
    for lang in required:
        if not isinstance(value.get(lang), str) or not value[lang].strip():
            raise rec.error(f"{where}: {key} needs a non-empty '{lang}' text, e.g. {key}: {{da: \"…\", en: \"…\"}}", key)
    for lang, text in value.items():
        if lang not in ("da", "en"):
            raise rec.error(f"{where}: {key} has language {lang!r}; use da or en", key)
        if not isinstance(text, str) or text != text.strip() or not text:
            raise rec.error(f"{where}: {key}.{lang} must be text without leading or trailing spaces; remove them", key)
    return value


def _positive(rec: Record, key: str, where: str) -> int:
    """A number that goes into an IRI: a whole number from 1."""
    value = _need(rec, key, where, int)
    if value < 1:
        raise rec.error(f"{where}: {key} {value} must be a whole number from 1, e.g. {key}: 1", key)
    return value


def _optional_text(rec: Record, key: str, where: str) -> None:
    """A free-text field (note, text, status_text): text if present."""
    if key in rec and rec[key] is not None and not isinstance(rec[key], str):
        raise rec.error(f"{where}: field '{key}' must be text, not {type(rec[key]).__name__} {rec[key]!r:.60}; "
                        f"quote it if it is meant as text", key)


def _optional_flag(rec: Record, key: str, where: str) -> None:
    if key in rec and not isinstance(rec[key], bool):
        raise rec.error(f"{where}: {key} must be true or false, not {rec[key]!r:.60}", key)


def _optional_langs(rec: Record, key: str, where: str) -> None:
    if key in rec and rec[key] is not None:
        _langs(rec, key, where, required=())


def _list(rec: Record, key: str, where: str) -> list:
    value = rec.get(key, [])
    if value is None:  # `key:` with nothing after it: an empty list, for every reader after us
        rec[key] = []
        return rec[key]
    if not isinstance(value, list):
        raise rec.error(f"{where}: {key} must be a list, not {type(value).__name__}; write {key}: [\"…\"] or one '- ' line per entry", key)
    return value


def _text_list(rec: Record, key: str, where: str) -> list[str]:
    items = _list(rec, key, where)
    for item in items:
        if not isinstance(item, str) or not item.strip() or item != item.strip():
            raise rec.error(f"{where}: every entry of {key} must be non-empty text without surrounding spaces, not {item!r}", key)
    return items


def _source(rec: Record, where: str, docs: dict[str, Record]) -> list[dict]:
    """One or more source excerpts: {doc, lines}."""
    if "source" in rec and "sources" in rec:
        raise rec.error(f"{where}: give either source or sources, not both", "sources")
    raw = [rec["source"]] if "source" in rec else _list(rec, "sources", where)
    if not raw:
        raise rec.error(f"{where}: missing required field 'source' (e.g. source: {{doc: \"004\", lines: \"307-320\"}})")
    out = []
    for s in raw:
        s = _expect_record(s, rec.file, rec.line_of("source" if "source" in rec else "sources"), f"{where} source")
        _known(s, "source", f"{where} source")
        doc = str(_need(s, "doc", f"{where} source", (str, int)))
        if doc not in docs:
            raise s.error(f"{where}: source doc {doc!r} is not in sources.yaml; known: {', '.join(sorted(docs))}", "doc")
        lines = str(_need(s, "lines", f"{where} source", (str, int))).replace(" ", "")
        m = LINES.match(lines)
        if not m:
            raise s.error(f"{where}: source lines {lines!r} must be a line or range such as \"307-320\"", "lines")
        start, end = int(m.group(1)), int(m.group(2) or m.group(1))
        if start < 1 or end < start:
            raise s.error(f"{where}: source lines {lines!r}: the range must start at 1 or later and not run backwards", "lines")
        count = docs[doc].get("_line_count")
        if count and end > count:
            raise s.error(f"{where}: source lines {lines!r} run past the end of document {doc} ({count} lines); check the line numbers against the document's text (line_count in sources.yaml)", "lines")
        out.append({"doc": doc, "start": start, "end": end})
    return out


def _top_list(path: Path, data: Any, what: str) -> list[Record]:
    if data is None:
        return []
    if not isinstance(data, list):
        raise RecordError(path, 1, f"{what} file must be a YAML list of records (lines starting with '- ')")
    return [_expect_record(r, str(path), 1, what) for r in data]


def _unique(records: list[Record], key: str, what: str, scope=lambda r: "") -> None:
    seen: dict = {}
    for r in records:
        k = (scope(r), r[key])
        if k in seen:
            first = seen[k]
            raise r.error(f"duplicate {what} {r[key]!r}; first defined at {first.file}:{first.line_of(key)}; rename one of them (ids must be unique)", key)
        seen[k] = r
