"""Read and check the hand-curated YAML source records in `data/`.

Curators edit these files by hand, so every error names the file and line and says what would
be valid. Records stay plain dicts (`Record`, a dict that remembers where it came from); nothing
depends on a record's position in a file.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fkgraph.model.fields import (  # noqa: F401  (the vocabularies are part of this module's interface)
    CODE, DECISIONS, HTTP_URL, KINDS, OUTCOME_KINDS, SOURCE_ID, SOURCE_KINDS, STATUSES,
    STATUTE_ID, STATUTE_TYPES, _date, _expect_record, _langs, _list, _need, _one_of, _optional_flag,
    _optional_langs, _optional_text, _partial_date, _positive, _slug, _source, _text_list, _top_list, _unique)
from fkgraph.model.yamlio import MAX_BYTES, MAX_DEPTH, Record, RecordError, load_yaml  # noqa: F401

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


def load(data_dir: str | Path) -> Records:
    """Load and check every record under `data_dir`. Raises RecordError at the first problem."""
    root = Path(data_dir)
    if not (root / "statutes.yaml").is_file():
        raise RecordError(root, None, "not a data directory: statutes.yaml is missing; point --home at a folder with data/statutes.yaml")
    rec = Records(root=root)
    docs = _load_sources(rec, root)
    programmes = _load_programmes(rec, root, docs)
    codes = _load_municipalities(rec, root, docs)
    _load_statutes(rec, root)
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
        _load_outcomes(rec, root, docs)
    return rec


def _load_sources(rec: Records, root: Path) -> dict[str, Record]:
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
    return {s["id"]: s for s in rec.sources}


def _load_programmes(rec: Records, root: Path, docs) -> dict[str, Record]:
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
    return {p["id"]: p for p in rec.programmes}


def _load_municipalities(rec: Records, root: Path, docs) -> set[str]:
    rec.municipalities = _top_list(root / "municipalities.yaml", load_yaml(root / "municipalities.yaml"), "municipalities")
    for m in rec.municipalities:
        code = _need(m, "code", "municipality", (str, int))
        if not isinstance(code, str) or not CODE.match(code):
            raise m.error(f"municipality code {code!r} must be four digits in quotes, as DAGI writes it (e.g. \"0851\")", "code")
        _need(m, "name", f"municipality {code}")
        _text_list(m, "variants", f"municipality {code}")
        m["_sources"] = _source(m, f"municipality {code}", docs)
    _unique(rec.municipalities, "code", "municipality code")
    return {m["code"] for m in rec.municipalities}


def _load_statutes(rec: Records, root: Path) -> None:
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
            if not HTTP_URL.match(eli):
                raise s.error(f"statute {sid}: eli {eli!r} must be an http(s) IRI, e.g. "
                              "https://www.retsinformation.dk/eli/lta/2024/701", "eli")
    _unique(rec.statutes, "id", "statute id")


def _load_outcomes(rec: Records, root: Path, docs) -> None:
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


def _load_trial_file(path: Path, rec: Records, docs, programmes, codes) -> None:
    data = load_yaml(path)
    if not isinstance(data, Record):
        raise RecordError(path, 1, "a network file must be a mapping with 'network:' (or 'programme:') and 'trials:'")
    network = _load_network(path, data, rec, docs, codes) if "network" in data else None
    programme = network["programme"] if network else _need(data, "programme", path.name)
    if programme not in programmes:
        raise (network or data).error(f"programme {programme!r} is not in programmes.yaml; known: {', '.join(sorted(programmes))}", "programme")
    for t in _list(data, "trials", path.name):
        t = _expect_record(t, str(path), data.line_of("trials"), "trial")
        rec.trials.append(_trial(t, programme, network, docs, codes))
    for a in _list(data, "applications", path.name):
        a = _expect_record(a, str(path), data.line_of("applications"), "application")
        rec.applications.append(_application(a, programme, network, programmes, docs))
    for e in _list(data, "evaluations", path.name):
        e = _expect_record(e, str(path), data.line_of("evaluations"), "evaluation")
        rec.evaluations.append(_evaluation(e, path, programme, network, docs))


def _load_network(path: Path, data: Record, rec: Records, docs, codes) -> Record:
    network = _expect_record(data["network"], str(path), data.line_of("network"), "network")
    where = f"network in {path.name}"
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


def _trial(t: Record, programme: str, network: Record | None, docs, codes) -> Record:
    number = network["number"] if network else None
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
    return t


def _application(a: Record, programme: str, network: Record | None, programmes, docs) -> Record:
    number = network["number"] if network else None
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
    return a


def _evaluation(e: Record, path: Path, programme: str, network: Record | None, docs) -> Record:
    number = network["number"] if network else None
    where = f"evaluation in {path.name}"
    _need(e, "evaluator", where)
    _langs(e, "design", where)
    _text_list(e, "trials", where)
    _optional_text(e, "note", where)
    e["programme"], e["network"] = programme, number
    e["_sources"] = _source(e, where, docs)
    return e


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


def statute_index(data_dir: str | Path):
    """The citation grammar's statute index from `statutes.yaml` alone, so that `cite` and query
    parameters work while some unrelated record is being edited."""
    from fkgraph.model import citations

    return citations.StatuteIndex.from_records(list(load_yaml(Path(data_dir) / "statutes.yaml") or []))
