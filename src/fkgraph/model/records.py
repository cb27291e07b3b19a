"""Read and check the hand-curated YAML source records in `data/`.

Curators edit these files by hand, so every error names the file and line and says what would
be valid. Records stay plain dicts (`Record`, a dict that remembers where it came from); nothing
depends on a record's position in a file.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

STATUSES = ("approved", "expected", "possible", "started", "ended", "made-permanent", "lapsed")
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
HTTP_URL = re.compile(r"^https?://[^\s<>\"{}|\\^`]+\Z")
MAX_BYTES = 20 * 1024 * 1024
#: Deeper than any record (a trial's exemption's source is 5 levels); checked before libyaml's
#: composer, which recurses in C and would crash the interpreter on 100,000 nested brackets.
MAX_DEPTH = 32
#: An example of each required field, for "missing required field" messages.
EXAMPLES = {
    "id": "id: some-slug", "code": 'code: "0851"', "name": 'name: {da: "…", en: "…"}', "title": 'title: {da: "…", en: "…"}',
    "programme": "programme: frikommune-ii", "number": "number: 4", "file": "file: 004_….txt",
    "start": "start: 2017-07-01", "end": "end: 2020-12-31", "type": f"type: {STATUTE_TYPES[0]}",
    "status": f"status: {STATUSES[0]}", "kind": f"kind: {KINDS[0]}", "decision": f"decision: {DECISIONS[0]}",
    "text": 'text: "Fritagelse fra …"', "doc": 'doc: "004"', "line_count": "line_count: 3317", "lines": 'lines: "307-320"',
    "evaluator": "evaluator: VIVE", "design": 'design: {da: "…"}', "members": 'members: ["0159", "0376"]',
}


class RecordError(ValueError):
    """A source record is wrong. Carries the place (file, line) and what would be valid."""

    def __init__(self, file: str | Path, line: int | None, message: str):
        # Always one line: a value quoted in the message may hold a newline or a control character.
        self.file, self.line, self.message = _one_line(str(file)), line, _one_line(message)
        super().__init__(f"{self.file}:{line or 1}: {self.message}")


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _one_line(text: str) -> str:
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


class Record(dict):
    """A YAML mapping that remembers its file and line, and the line of each key."""

    file: str = "?"
    line: int = 1
    key_lines: dict

    def line_of(self, key: str) -> int:
        return getattr(self, "key_lines", {}).get(key, self.line)

    def error(self, message: str, key: str | None = None) -> RecordError:
        return RecordError(self.file, self.line_of(key) if key else self.line, message)


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's scanner is ~5x faster
    """Safe loader (no tags execute) that keeps line numbers and leaves dates as text."""


_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> Record:
    loader.flatten_mapping(node)
    rec = Record()
    rec.file, rec.line, rec.key_lines = loader.name, node.start_mark.line + 1, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) or key is None:
            raise RecordError(loader.name, key_node.start_mark.line + 1, "mapping keys must be plain text; write key: value with a name such as id or source")
        if key in rec:
            raise RecordError(loader.name, key_node.start_mark.line + 1, f"key {key!r} appears twice in one mapping; keep one")
        rec[key] = loader.construct_object(value_node, deep=True)
        rec.key_lines[key] = key_node.start_mark.line + 1
    return rec


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _check_depth(text: str, path: Path) -> None:
    """Refuse nesting deeper than MAX_DEPTH, reading libyaml's events (a flat loop, no recursion)."""
    from yaml._yaml import CParser

    starts = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
    ends = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    parser, depth = CParser(text), 0
    try:
        while (event := parser.get_event()) is not None:
            if isinstance(event, starts):
                depth += 1
                if depth > MAX_DEPTH:
                    raise RecordError(path, event.start_mark.line + 1, f"YAML nested more than {MAX_DEPTH} levels "
                                      "deep; records are at most a few levels deep")
            elif isinstance(event, ends):
                depth -= 1
    except yaml.YAMLError as e:
        # the libyaml in PyYAML 6.0.4's wheels stops at a depth limit of its own (2,000 flow levels fail),
        # which it can reach while scanning ahead, before the events above are deep enough
        if "maximum nesting depth" in str(e):
            mark = getattr(e, "problem_mark", None)
            raise RecordError(path, mark.line + 1 if mark else None, f"YAML nested more than {MAX_DEPTH} levels "
                              "deep; records are at most a few levels deep") from None
        # anything else: the real load below reports it with its place
    finally:
        parser.dispose()


def load_yaml(path: Path) -> Any:
    """Parse one YAML file safely; any failure becomes a RecordError naming file and line.

    Safe: no tag constructs anything but plain values (`!!python/...` is refused, never run);
    files over MAX_BYTES and nesting over MAX_DEPTH are refused before parsing."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise RecordError(path, None, f"file is {size} bytes; source records must be under {MAX_BYTES} bytes "
                              "(split the file)")
        raw = path.read_bytes()
    except OSError as e:
        raise RecordError(path, None, f"cannot read file ({e.strerror}); check that it exists and is readable") from None
    if len(raw) > MAX_BYTES:
        raise RecordError(path, None, f"file is {len(raw)} bytes; source records must be under {MAX_BYTES} bytes "
                          "(split the file)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise RecordError(path, line, f"bytes at offset {e.start} are not UTF-8; save the file as UTF-8") from None
    if hasattr(yaml, "CSafeLoader"):
        _check_depth(text, path)
    loader = _Loader(text)
    loader.name = str(path)
    try:
        return loader.get_single_data()
    except RecordError:
        raise
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        what = " ".join((e.problem or e.context or "invalid YAML").split())
        if "could not determine a constructor" in str(e):
            what = f"YAML tags such as {str(e).split('tag ')[-1].split()[0]} are not allowed; write plain values"
        else:
            if e.context and e.context_mark and e.problem_mark and e.context_mark.line != e.problem_mark.line:
                # An unclosed quote or bracket: point at where it opens, say where it broke.
                what = f"{what} at line {e.problem_mark.line + 1}, {' '.join(e.context.split())} that starts here"
                mark = e.context_mark
            what += "; check the quotes, brackets, colons and indentation here"
        raise RecordError(path, mark.line + 1 if mark else None, f"broken YAML: {what}") from None
    except yaml.reader.ReaderError as e:
        line = text[: e.position].count("\n") + 1 if isinstance(e.position, int) else None
        char = e.character if isinstance(e.character, str) else chr(e.character)
        raise RecordError(path, line, f"broken YAML: character U+{ord(char):04X} is not allowed in YAML "
                          "(a control or non-printable character); delete it or write it as an escape in a double-quoted string") from None
    except yaml.YAMLError as e:
        raise RecordError(path, None, f"broken YAML: {' '.join(str(e).split())}") from None
    except RecursionError:
        raise RecordError(path, None, f"YAML nested more than {MAX_DEPTH} levels deep; records are at most a few levels deep") from None
    finally:
        loader.dispose()


# ---- field checks --------------------------------------------------------------------------

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


# ---- the dataset ---------------------------------------------------------------------------

@dataclass
class Records:
    """All source records, checked, as plain dicts with their places."""

    root: Path
    sources: list[Record] = field(default_factory=list)
    programmes: list[Record] = field(default_factory=list)
    municipalities: list[Record] = field(default_factory=list)
    statutes: list[Record] = field(default_factory=list)
    networks: list[Record] = field(default_factory=list)
    trials: list[Record] = field(default_factory=list)
    applications: list[Record] = field(default_factory=list)
    evaluations: list[Record] = field(default_factory=list)
    outcomes: list[Record] = field(default_factory=list)

    def files(self) -> list[Path]:
        return sorted(p for p in self.root.rglob("*.yaml"))


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


def load(data_dir: str | Path) -> Records:
    """Load and check every record under `data_dir`. Raises RecordError at the first problem."""
    root = Path(data_dir)
    if not (root / "statutes.yaml").is_file():
        raise RecordError(root, None, "not a data directory: statutes.yaml is missing; point --home at a folder with data/statutes.yaml")
    rec = Records(root=root)

    rec.sources = _top_list(root / "sources.yaml", load_yaml(root / "sources.yaml"), "sources")
    for s in rec.sources:
        s["id"] = str(_need(s, "id", "source", (str, int)))
        if not SOURCE_ID.match(s["id"]):
            raise s.error(f"source id {s['id']!r} must be lower-case letters, digits and hyphens, e.g. \"004\" (in quotes)", "id")
        where = f"source {s['id']}"
        _need(s, "file", where)
        s["_line_count"] = _positive(s, "line_count", where)
        _langs(s, "title", where)
        _one_of(s, "kind", SOURCE_KINDS, where)
        for key in ("publisher", "note", "identifier"):
            _optional_text(s, key, where)
        _text_list(s, "creators", where)
        if "issued" in s:
            s["issued"] = _partial_date(s, "issued", where)
        if "url" in s and not (isinstance(s["url"], str) and HTTP_URL.match(s["url"])):
            raise s.error(f"{where}: url {s['url']!r:.80} must be an http(s) URL without spaces, e.g. https://www.vive.dk/…", "url")
    _unique(rec.sources, "id", "source id")
    docs = {s["id"]: s for s in rec.sources}

    rec.programmes = _top_list(root / "programmes.yaml", load_yaml(root / "programmes.yaml"), "programmes")
    for p in rec.programmes:
        where = f"programme {p.get('id', '?')}"
        _slug(p, "id", where)
        _langs(p, "name", where)
        p["start"], p["end"] = _date(p, "start", where), _date(p, "end", where)
        p["_sources"] = _source(p, where, docs)
        for r in _list(p, "rounds", where):
            r = _expect_record(r, p.file, p.line_of("rounds"), f"{where} round")
            _positive(r, "number", f"{where} round")
            for key in ("deadline", "in_force"):
                r[key] = _date(r, key, f"{where} round {r['number']}", required=False)
            _optional_flag(r, "expected", f"{where} round {r['number']}")
            r["_sources"] = _source(r, f"{where} round {r['number']}", docs)
        _optional_text(p, "note", where)
    _unique(rec.programmes, "id", "programme id")
    programmes = {p["id"]: p for p in rec.programmes}

    rec.municipalities = _top_list(root / "municipalities.yaml", load_yaml(root / "municipalities.yaml"), "municipalities")
    for m in rec.municipalities:
        code = _need(m, "code", "municipality", (str, int))
        if not isinstance(code, str) or not CODE.match(code):
            raise m.error(f"municipality code {code!r} must be four digits in quotes, as DAGI writes it (e.g. \"0851\")", "code")
        _need(m, "name", f"municipality {code}")
        m["_sources"] = _source(m, f"municipality {code}", docs)
    _unique(rec.municipalities, "code", "municipality code")
    codes = {m["code"] for m in rec.municipalities}

    rec.statutes = _top_list(root / "statutes.yaml", load_yaml(root / "statutes.yaml"), "statutes")
    for s in rec.statutes:
        sid = _need(s, "id", "statute")
        if not STATUTE_ID.match(sid):
            raise s.error(f"statute id {sid!r} must be an upper-case abbreviation (A-Z, 0-9, hyphens) such as SL or BEK-LAB", "id")
        _langs(s, "title", f"statute {sid}")
        _one_of(s, "type", STATUTE_TYPES, f"statute {sid}")
        _text_list(s, "variants", f"statute {sid}")
        if "eli" in s:
            eli = _need(s, "eli", f"statute {sid}")
            if not re.match(r"^https?://[^\s<>\"{}|\\^`]+\Z", eli):
                raise s.error(f"statute {sid}: eli {eli!r} must be an http(s) IRI, e.g. "
                              "https://www.retsinformation.dk/eli/lta/2024/701", "eli")
    _unique(rec.statutes, "id", "statute id")

    files = sorted((root / "networks").glob("*.yaml")) if (root / "networks").is_dir() else []
    if (root / "frikommune-i.yaml").is_file():
        files.append(root / "frikommune-i.yaml")
    for path in files:
        _load_trial_file(path, rec, docs, programmes, codes)
    _unique(rec.networks, "number", "network number", scope=lambda n: n["programme"])
    _unique(rec.trials, "id", "trial id", scope=lambda t: t["programme"])
    _unique(rec.applications, "id", "application id", scope=lambda a: a["programme"])
    _check_links(rec)

    if (root / "outcomes.yaml").is_file():
        rec.outcomes = _top_list(root / "outcomes.yaml", load_yaml(root / "outcomes.yaml"), "outcomes")
        trial_keys = {f"{t['programme']}/{t['id']}" for t in rec.trials}
        for o in rec.outcomes:
            where = f"outcome {o.get('id', '?')}"
            _slug(o, "id", where)
            _one_of(o, "kind", OUTCOME_KINDS, where)
            _langs(o, "name", where)
            _optional_langs(o, "text", where)
            _optional_text(o, "note", where)
            for t in _text_list(o, "trials", where):
                if t not in trial_keys:
                    raise o.error(f"{where}: trial {t!r} is not a known trial; write programme/trial-id, e.g. frikommune-ii/{rec.trials[0]['id'] if rec.trials else 'some-trial'}", "trials")
            o["_sources"] = _source(o, where, docs)
        _unique(rec.outcomes, "id", "outcome id")
    return rec


def _load_trial_file(path: Path, rec: Records, docs, programmes, codes) -> None:
    data = load_yaml(path)
    if not isinstance(data, Record):
        raise RecordError(path, 1, "a network file must be a mapping with 'network:' (or 'programme:') and 'trials:'")
    network = None
    if "network" in data:
        network = _expect_record(data["network"], str(path), data.line_of("network"), "network")
        where = f"network in {path.name}"
        programme = _need(network, "programme", where)
        number = _positive(network, "number", where)
        where = f"network {number}"
        _langs(network, "name", where)
        _optional_langs(network, "theme", where)
        _text_list(network, "variants", where)
        _optional_text(network, "note", where)
        _need(network, "members", where, list)
        members = _text_list(network, "members", where)
        for code in members:
            if code not in codes:
                raise network.error(f"{where}: member {code!r} is not in municipalities.yaml; use a four-digit kommunekode listed there", "members")
        network["_sources"] = _source(network, where, docs)
        rec.networks.append(network)
    else:
        programme = _need(data, "programme", path.name)
    if programme not in programmes:
        raise (network or data).error(f"programme {programme!r} is not in programmes.yaml; known: {', '.join(sorted(programmes))}", "programme")
    number = network["number"] if network else None

    for t in _list(data, "trials", path.name):
        t = _expect_record(t, str(path), data.line_of("trials"), "trial")
        where = f"trial {t.get('id', '?')}"
        _slug(t, "id", where)
        t["programme"], t["network"] = programme, number
        _langs(t, "name", where)
        if "parent" in t:
            _slug(t, "parent", where)
        if "status" in t:
            _one_of(t, "status", STATUSES, where)
        t["start"] = _date(t, "start", where, required=t.get("status") in ("approved", "expected", "possible"))
        t["end"] = _date(t, "end", where, required=False)
        for key in ("text", "status_text", "note"):
            _optional_text(t, key, where)
        _optional_langs(t, "outcome", where)
        _optional_flag(t, "no_exemption_needed", where)
        for code in _text_list(t, "municipalities", where):
            if code not in codes:
                raise t.error(f"{where}: municipality {code!r} is not in municipalities.yaml; use a four-digit kommunekode listed there", "municipalities")
            if network and code not in network["members"]:
                raise t.error(f"{where}: municipality {code} is not a member of network {number}; add it to the network's members or fix the code", "municipalities")
        for i, ex in enumerate(_list(t, "exemptions", where)):
            ex = _expect_record(ex, t.file, t.line_of("exemptions"), f"{where} exemption")
            ex.setdefault("kind", "fritagelse")
            _one_of(ex, "kind", KINDS, f"{where} exemption")
            _need(ex, "text", f"{where} exemption")
            _text_list(ex, "cites", f"{where} exemption")
            _text_list(ex, "refs", f"{where} exemption")
            for flag in ("partial", "unspecified"):
                if flag in ex and not isinstance(ex[flag], bool):
                    raise ex.error(f"{where} exemption: {flag} must be true or false", flag)
            t["exemptions"][i] = ex
        for i, lb in enumerate(_list(t, "legal_basis", where)):
            lb = _expect_record(lb, t.file, t.line_of("legal_basis"), f"{where} legal basis")
            _need(lb, "text", f"{where} legal basis")
            _text_list(lb, "cites", f"{where} legal basis")
            t["legal_basis"][i] = lb
        t["_sources"] = _source(t, where, docs)
        rec.trials.append(t)

    for a in _list(data, "applications", path.name):
        a = _expect_record(a, str(path), data.line_of("applications"), "application")
        where = f"application {a.get('id', '?')}"
        _slug(a, "id", where)
        a["programme"], a["network"] = programme, number
        _langs(a, "name", where)
        _one_of(a, "decision", DECISIONS, where)
        if "round" in a and a["round"] is not None:
            rnd = _positive(a, "round", where)
            rounds = [r["number"] for r in programmes[programme].get("rounds") or []]
            if rounds and rnd not in rounds:
                raise a.error(f"{where}: round {rnd} is not a round of {programme}; use one of: "
                              f"{', '.join(map(str, rounds))}", "round")
        if "trial" in a:
            _slug(a, "trial", where)
        if "reason" in a:
            _langs(a, "reason", where)
        _optional_text(a, "note", where)
        a["_sources"] = _source(a, where, docs)
        rec.applications.append(a)

    for e in _list(data, "evaluations", path.name):
        e = _expect_record(e, str(path), data.line_of("evaluations"), "evaluation")
        where = f"evaluation in {path.name}"
        _need(e, "evaluator", where)
        _langs(e, "design", where)
        _text_list(e, "trials", where)
        _optional_text(e, "note", where)
        e["programme"], e["network"] = programme, number
        e["_sources"] = _source(e, where, docs)
        rec.evaluations.append(e)


def _check_links(rec: Records) -> None:
    trials = {(t["programme"], t["id"]): t for t in rec.trials}
    for t in rec.trials:
        if "parent" in t:
            parent = trials.get((t["programme"], t["parent"]))
            if parent is None:
                raise t.error(f"trial {t['id']}: parent {t['parent']!r} is not a trial of programme {t['programme']}; use the id of a trial in the same programme", "parent")
            parent["_has_children"] = True
    for t in rec.trials:
        if "status" not in t and not t.get("_has_children"):
            raise t.error(f"trial {t['id']}: missing required field 'status'; use one of: {', '.join(STATUSES)}")
    for a in rec.applications:
        if a.get("trial") and (a["programme"], a["trial"]) not in trials:
            raise a.error(f"application {a['id']}: trial {a['trial']!r} is not a trial of programme {a['programme']}; use the id of a trial in the same programme", "trial")
    for e in rec.evaluations:
        for t in e.get("trials", []):
            if (e["programme"], t) not in trials:
                raise e.error(f"evaluation by {e['evaluator']}: trial {t!r} is not a trial of programme {e['programme']}; use the id of a trial in the same programme", "trials")
