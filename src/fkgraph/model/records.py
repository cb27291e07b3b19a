"""Read and check the hand-curated YAML source records in `data/`.

Curators edit these files by hand, so every error names the file and line and says what would
be valid. Records stay plain dicts (`Record`, a dict that remembers where it came from); nothing
depends on a record's position in a file.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fkgraph.model.fields import (  # noqa: F401  (the vocabularies are part of this module's interface)
    _known, CODE, DECISIONS, HTTP_URL, KINDS, OBSERVED_STATUSES, OUTCOME_KINDS, SOURCE_ID, SOURCE_KINDS, STATUSES,
    STATUTE_ID, STATUTE_TYPES, _date, _expect_record, _langs, _list, _need, _one_of, _optional_flag,
    _optional_langs, _optional_text, _partial_date, _positive, _slug, _source, _text_list, _top_list, _unique)
from fkgraph.model import observations
from fkgraph.model.yamlio import MAX_BYTES, MAX_DEPTH, Record, RecordError, load_yaml  # noqa: F401  (interface)

#: How many problems one check reports before it stops.
LIMIT = 100


class RecordErrors(RecordError):
    """Every problem found in the records, in file order: `errors`. Reads as the first of them."""

    def __init__(self, errors: list[RecordError]):
        self.errors = list(errors)
        first = self.errors[0]
        more = f" (and {len(self.errors) - 1} more; `fkgraph check` lists them all)" if len(self.errors) > 1 else ""
        super().__init__(first.file, first.line, first.message + more)
        self.field, self.rule = getattr(first, "field", None), getattr(first, "rule", None)


class Problems:
    """Collects record errors so one run reports every broken record, not only the first."""

    def __init__(self, limit: int = LIMIT):
        self.errors: list[RecordError] = []
        self.limit = limit
        self.incomplete = False  # a whole file was unreadable: references into it cannot be checked

    def add(self, error: RecordError) -> None:
        for e in getattr(error, "errors", [error]):
            if len(self.errors) < self.limit:
                self.errors.append(e)
        if len(self.errors) >= self.limit:
            raise RecordErrors(self.errors)

    @contextmanager
    def each(self, whole_file: bool = False):
        """Check one record (or, `whole_file`, read one file): its error is kept and the next one
        checked. A non-record error after an earlier problem is that problem's consequence."""
        try:
            yield
        except RecordErrors:
            raise
        except RecordError as e:
            self.incomplete = self.incomplete or whole_file
            self.add(e)
        except (KeyError, TypeError, AttributeError, ValueError, IndexError):
            if not self.errors:
                raise

    def raise_any(self) -> None:
        if self.errors:
            raise RecordErrors(self.errors)


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
    observations: list[Record] = field(default_factory=list)  # dated statuses (model/observations.py)

    def files(self) -> list[Path]:
        return sorted(p for p in self.root.rglob("*.yaml"))


def load(data_dir: str | Path) -> Records:
    """Load and check every record under `data_dir`. Raises RecordErrors listing every problem
    (up to LIMIT), each at its file:line; nothing is returned unless all records are valid."""
    root = Path(data_dir)
    if not (root / "statutes.yaml").is_file():
        raise RecordError(root, None, "not a data directory: statutes.yaml is missing; point --home at a folder with data/statutes.yaml")
    rec, p = Records(root=root), Problems()
    docs = _load_sources(rec, root, p)
    programmes = _load_programmes(rec, root, docs, p)
    codes = _load_municipalities(rec, root, docs, p)
    _load_statutes(rec, root, p)
    files = sorted((root / "networks").glob("*.yaml")) if (root / "networks").is_dir() else []
    if (root / "frikommune-i.yaml").is_file():
        files.append(root / "frikommune-i.yaml")
    for path in files:
        with p.each(whole_file=True):
            _load_trial_file(path, rec, docs, programmes, codes, p)
    for group, key, what in ((rec.networks, "number", "network number"), (rec.trials, "id", "trial id"),
                             (rec.applications, "id", "application id")):
        with p.each():
            _unique(group, key, what, scope=lambda r: r["programme"])
    with p.each():  # a value an earlier check refused (an id that is a set) may break the lookups
        _check_links(rec, p)
    if (root / "outcomes.yaml").is_file():
        _load_outcomes(rec, root, docs, p)
    if (root / "observations.yaml").is_file():
        observations.load(root / "observations.yaml", rec, docs, p)
    p.raise_any()
    return rec


def _records(path: Path, what: str, p: Problems) -> list[Record]:
    """The records of a list file; a file that cannot be read is one problem and no records."""
    with p.each(whole_file=True):
        return _top_list(path, load_yaml(path), what)
    return []


def _load_sources(rec: Records, root: Path, p: Problems) -> dict[str, Record]:
    rec.sources = _records(root / "sources.yaml", "sources", p)
    for s in rec.sources:
        with p.each():
            _check_source(s)
    with p.each():
        _unique(rec.sources, "id", "source id")
    return {str(s.get("id")): s for s in rec.sources}


def _check_source(s: Record) -> None:
    _known(s, "document", f"source {s.get('id', '?')}")
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


def _load_programmes(rec: Records, root: Path, docs, problems: Problems) -> dict[str, Record]:
    rec.programmes = _records(root / "programmes.yaml", "programmes", problems)
    for p in rec.programmes:
        with problems.each():
            _check_programme(p, docs)
    with problems.each():
        _unique(rec.programmes, "id", "programme id")
    return {p.get("id"): p for p in rec.programmes if isinstance(p.get("id"), str)}


def _check_programme(p: Record, docs) -> None:
    _known(p, "programme", f"programme {p.get('id', '?')}")
    where = f"programme {p.get('id', '?')}"
    _slug(p, "id", where)
    _langs(p, "name", where)
    p["start"], p["end"] = _date(p, "start", where, required=False), _date(p, "end", where, required=False)
    p["_sources"] = _source(p, where, docs)
    for r in _list(p, "rounds", where):
        r = _expect_record(r, p.file, p.line_of("rounds"), f"{where} round")
        _known(r, "round", f"{where} round")
        _positive(r, "number", f"{where} round")
        for key in ("deadline", "in_force"):
            r[key] = _date(r, key, f"{where} round {r['number']}", required=False)
        _optional_flag(r, "expected", f"{where} round {r['number']}")
        r["_sources"] = _source(r, f"{where} round {r['number']}", docs)
    _optional_text(p, "note", where)


def _load_municipalities(rec: Records, root: Path, docs, p: Problems) -> set[str]:
    rec.municipalities = _records(root / "municipalities.yaml", "municipalities", p)
    for m in rec.municipalities:
        with p.each():
            _check_municipality(m, docs)
    with p.each():
        _unique(rec.municipalities, "code", "municipality code")
    return {m.get("code") for m in rec.municipalities if isinstance(m.get("code"), str)}  # a refused code is no key


def _check_municipality(m: Record, docs) -> None:
    _known(m, "municipality", f"municipality {m.get('code', '?')}")
    code = _need(m, "code", "municipality", (str, int))
    if not isinstance(code, str) or not CODE.match(code):
        raise m.error(f"municipality code {code!r} must be four digits in quotes, as DAGI writes it (e.g. \"0851\")", "code")
    _need(m, "name", f"municipality {code}")
    _text_list(m, "variants", f"municipality {code}")
    m["_sources"] = _source(m, f"municipality {code}", docs)


def _load_statutes(rec: Records, root: Path, p: Problems) -> None:
    rec.statutes = _records(root / "statutes.yaml", "statutes", p)
    for s in rec.statutes:
        with p.each():
            _check_statute(s)
    with p.each():
        _unique(rec.statutes, "id", "statute id")


def _check_statute(s: Record) -> None:
    _known(s, "statute", f"statute {s.get('id', '?')}")
    sid = _need(s, "id", "statute")
    if not STATUTE_ID.match(sid):
        raise s.error(f"statute id {sid!r} must be an upper-case abbreviation (A-Z, 0-9, hyphens) such as SL or BEK-LAB", "id")
    _langs(s, "title", f"statute {sid}")
    _one_of(s, "type", STATUTE_TYPES, f"statute {sid}")
    _text_list(s, "variants", f"statute {sid}")
    if "eli" in s:
        eli = _need(s, "eli", f"statute {sid}")
        if not HTTP_URL.match(eli):
            raise s.error(f"statute {sid}: eli {eli!r} must be an http(s) IRI, e.g. "
                          "https://www.retsinformation.dk/eli/lta/2024/701", "eli")


def _load_outcomes(rec: Records, root: Path, docs, p: Problems) -> None:
    rec.outcomes = _records(root / "outcomes.yaml", "outcomes", p)
    trial_keys = {f"{t.get('programme')}/{t.get('id')}" for t in rec.trials}
    for o in rec.outcomes:
        with p.each():
            _check_outcome(o, rec, docs, None if p.incomplete else trial_keys)
    with p.each():
        _unique(rec.outcomes, "id", "outcome id")


def _check_outcome(o: Record, rec: Records, docs, trial_keys: set[str] | None) -> None:
    _known(o, "outcome", f"outcome {o.get('id', '?')}")
    where = f"outcome {o.get('id', '?')}"
    _slug(o, "id", where)
    _one_of(o, "kind", OUTCOME_KINDS, where)
    _langs(o, "name", where)
    _optional_langs(o, "text", where)
    _optional_text(o, "note", where)
    for t in _text_list(o, "trials", where):
        if trial_keys is not None and t not in trial_keys:
            raise o.error(f"{where}: trial {t!r} is not a known trial; write programme/trial-id, e.g. frikommune-ii/{rec.trials[0]['id'] if rec.trials else 'some-trial'}", "trials")
    o["_sources"] = _source(o, where, docs)


def _load_trial_file(path: Path, rec: Records, docs, programmes, codes, p: Problems) -> None:
    data = load_yaml(path)
    if not isinstance(data, Record):
        raise RecordError(path, 1, "a network file must be a mapping with 'network:' (or 'programme:') and 'trials:'")
    with p.each():
        _known(data, "network" if "network" in data else "frikommune-i", path.name)
    network = None
    if "network" in data:
        network = data["network"] if isinstance(data["network"], Record) else None
        with p.each():  # a broken network header still lets its trials be checked
            network = _load_network(path, data, rec, docs, codes)
    programme = network.get("programme") if network else _need(data, "programme", path.name)
    if programme not in programmes:
        raise (network or data).error(f"programme {programme!r} is not in programmes.yaml; known: {', '.join(sorted(map(str, programmes)))}", "programme")
    for t in _list(data, "trials", path.name):
        with p.each():
            t = _expect_record(t, str(path), data.line_of("trials"), "trial")
            rec.trials.append(t)
            _trial(t, programme, network, docs, codes)
    for a in _list(data, "applications", path.name):
        with p.each():
            a = _expect_record(a, str(path), data.line_of("applications"), "application")
            rec.applications.append(a)
            _application(a, programme, network, programmes, docs)
    for e in _list(data, "evaluations", path.name):
        with p.each():
            e = _expect_record(e, str(path), data.line_of("evaluations"), "evaluation")
            rec.evaluations.append(e)
            _evaluation(e, path, programme, network, docs)


def _load_network(path: Path, data: Record, rec: Records, docs, codes) -> Record:
    network = _expect_record(data["network"], str(path), data.line_of("network"), "network")
    where = f"network in {path.name}"
    _known(network, "network", where)
    _need(network, "programme", where)
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
    return network


def _opening(r: Record, kind: str, programme: str, network: Record | None) -> str:
    """What a trial and an application of a network file both start with; returns how messages name it."""
    where = f"{kind} {r.get('id', '?')}"
    _known(r, kind, where)
    _slug(r, "id", where)
    r["programme"], r["network"] = programme, network.get("number") if network else None
    _langs(r, "name", where)
    return where


def _trial(t: Record, programme: str, network: Record | None, docs, codes) -> Record:
    where = _opening(t, "trial", programme, network)
    number = t["network"]
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
        _known(ex, "exemption", f"{where} exemption")
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
        _known(lb, "legal-basis", f"{where} legal basis")
        _need(lb, "text", f"{where} legal basis")
        _text_list(lb, "cites", f"{where} legal basis")
        t["legal_basis"][i] = lb
    t["_sources"] = _source(t, where, docs)
    return t


def _application(a: Record, programme: str, network: Record | None, programmes, docs) -> Record:
    where = _opening(a, "application", programme, network)
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
    _text_list(a, "cites", where)
    _optional_text(a, "note", where)
    a["_sources"] = _source(a, where, docs)
    return a


def _evaluation(e: Record, path: Path, programme: str, network: Record | None, docs) -> Record:
    number = network.get("number") if network else None
    where = f"evaluation in {path.name}"
    _known(e, "evaluation", where)
    _need(e, "evaluator", where)
    _langs(e, "design", where)
    _text_list(e, "trials", where)
    _optional_text(e, "note", where)
    e["programme"], e["network"] = programme, number
    e["_sources"] = _source(e, where, docs)
    return e


def _check_links(rec: Records, p: Problems) -> None:
    trials = {(t.get("programme"), t.get("id")): t for t in rec.trials}
    for t in rec.trials:
        if "parent" in t:
            with p.each():
                parent = trials.get((t["programme"], t["parent"]))
                if parent is None:
                    raise t.error(f"trial {t['id']}: parent {t['parent']!r} is not a trial of programme {t['programme']}; use the id of a trial in the same programme", "parent")
                parent["_has_children"] = True
    for t in rec.trials:
        with p.each():
            _acyclic(t, trials)
    for t in rec.trials:
        if "status" not in t and not t.get("_has_children"):
            p.add(t.error(f"trial {t.get('id')}: missing required field 'status'; use one of: {', '.join(STATUSES)}"))
    if p.incomplete:  # the records referred to may be in the file that could not be read
        return
    for a in rec.applications:
        if a.get("trial") and (a.get("programme"), a["trial"]) not in trials:
            p.add(a.error(f"application {a.get('id')}: trial {a['trial']!r} is not a trial of programme {a.get('programme')}; use the id of a trial in the same programme", "trial"))
    for e in rec.evaluations:
        for t in e.get("trials") or []:
            if (e.get("programme"), t) not in trials:
                p.add(e.error(f"evaluation by {e.get('evaluator')}: trial {t!r} is not a trial of programme {e.get('programme')}; use the id of a trial in the same programme", "trials"))


def _acyclic(t: Record, trials: dict) -> None:
    """A trial may not be its own ancestor: a cycle would make every walk up the parents endless."""
    seen, node = [t.get("id")], t
    while node.get("parent"):
        node = trials.get((node.get("programme"), node["parent"]))
        if node is None:
            return
        if node.get("id") in seen:
            chain = " → ".join(map(str, seen + [node.get("id")]))
            raise t.error(f"trial {t.get('id')}: parents form a cycle ({chain}); a trial's parent must not be "
                          f"one of its own sub-trials", "parent")
        seen.append(node.get("id"))


def statute_index(data_dir: str | Path):
    """The citation grammar's statute index from `statutes.yaml` alone, so that `cite` and query
    parameters work while some unrelated record is being edited."""
    from fkgraph.model import citations

    return citations.StatuteIndex.from_records(list(load_yaml(Path(data_dir) / "statutes.yaml") or []))
