"""Read and check `observations.yaml`: what the later sources say about a trial's, a network's or a
programme's status at a date, beside the February 2018 `status` of the network files.

Each error names its file and line and says what would be valid (the `Problems` collector of
records.py keeps going after one). Subject ids are checked against the records already read.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from fkgraph.model.fields import (
    OBSERVED_STATUSES, STATUSES, _date, _expect_record, _langs, _list, _need, _optional_langs, _optional_text,
    _partial_date, _positive, _source, _text_list)
from fkgraph.model.yamlio import Record, RecordError, load_yaml

if TYPE_CHECKING:
    from fkgraph.model.records import Problems, Records

#: What a subject names, and how: {trial: programme/trial-id}, {network: programme/number}, {programme: id}.
SUBJECTS = ("trial", "network", "programme")
COUNTS = ("trials", "municipalities", "recommendations")


def load(path: Path, rec: Records, docs: dict[str, Record], p: Problems) -> None:
    """Check every status and observation of `path` into `rec.observations`; each problem goes to `p`."""
    data = None
    with p.each(whole_file=True):
        data = load_yaml(path)
        if not isinstance(data, Record):
            raise RecordError(path, 1, "observations.yaml must be a mapping with 'statuses:' and 'observations:'")
    if data is None:
        return
    labels: dict[str, Record] = {}
    for s in _list(data, "statuses", path.name):
        with p.each():
            s = _expect_record(s, str(path), data.line_of("statuses"), "status")
            code = _status(s)
            if code in labels:
                raise s.error(f"duplicate status code {code!r}; each code is defined once (remove one of them)", "code")
            labels[code] = s["label"]
    # after an earlier problem the records named may be the ones that failed: no references checked
    known = None if p.incomplete or p.errors else _known(rec)
    seen: dict[tuple, Record] = {}
    for o in _list(data, "observations", path.name):
        with p.each():
            o = _expect_record(o, str(path), data.line_of("observations"), "observation")
            _observation(o, set(labels), docs, known)
            o["_status_label"] = labels[o["status"]]
            rec.observations.append(o)
            key = (o["_subject"], o["status"], o["_doc"])
            if key in seen:
                raise o.error(f"observation of {o['_subject'][0]} {o['_subject'][1]}: a second '{o['status']}' from "
                              f"document {o['_doc']} (first at line {seen[key].line}); subject, status and document "
                              f"identify an observation: merge the two into one with sources: [...]", "status")
            seen[key] = o


def _status(s: Record) -> str:
    code = _need(s, "code", "status")
    scheme = STATUSES + OBSERVED_STATUSES
    if code not in scheme:
        raise s.error(f"status code {code!r} is not in fk:TrialStatusScheme (ontology/fk.ttl); use one of: {', '.join(scheme)}", "code")
    for key in ("label", "definition"):
        _langs(s, key, f"status {code}", required=("da", "en"))
    return code


def _known(rec: Records) -> dict[str, dict[str, Record]]:
    """The ids a subject may name, by kind."""
    return {"trial": {f"{t.get('programme')}/{t.get('id')}": t for t in rec.trials},
            "network": {f"{n.get('programme')}/{n.get('number')}": n for n in rec.networks},
            "programme": {str(pr.get("id")): pr for pr in rec.programmes},
            "municipality": {str(m.get("code")): m for m in rec.municipalities}}


def _observation(o: Record, codes: set[str], docs, known) -> None:
    subject = _need(o, "subject", "observation", Record)
    kinds = [k for k in SUBJECTS if k in subject]
    if len(kinds) != 1 or len(subject) != 1:
        raise o.error("observation: subject must name one trial, network or programme, e.g. "
                      "subject: {trial: frikommune-ii/some-trial}, {network: frikommune-ii/3} or {programme: frikommune-ii}", "subject")
    kind = kinds[0]
    ref = str(_need(subject, kind, "observation subject", (str, int)))
    where = f"observation of {kind} {ref}"
    if known is not None and ref not in known[kind]:
        example = next(iter(known[kind]), "…")
        raise subject.error(f"{where}: {kind} {ref!r} is not in the records; write it as the records name it, e.g. {example}", kind)
    o["_subject"] = (kind, ref)
    o["_subject_name"] = known[kind][ref].get("name") if known is not None else None
    status = _need(o, "status", where)
    if status not in codes:
        raise o.error(f"{where}: status {status!r} is not one of the statuses at the top of the file: {', '.join(sorted(codes))}", "status")
    _when(o, where)
    _except(o, kind, ref, where, known)
    for key in ("date_text", "planned_text", "note"):
        _optional_text(o, key, where)
    if "planned" in o:
        o["planned"] = _partial_date(o, "planned", where)
    _langs(o, "text", where)
    _optional_langs(o, "reason", where)
    for key in _need(o, "count", where, Record) if "count" in o else ():
        if key not in COUNTS:
            raise o.error(f"{where}: count has {key!r}; use {', '.join(COUNTS)}", "count")
        _positive(o["count"], key, f"{where} count")
    for c in _text_list(o, "municipalities", where):
        if known is not None and c not in known["municipality"]:
            raise o.error(f"{where}: municipality {c!r} is not in municipalities.yaml; use a four-digit kommunekode listed there", "municipalities")
    o["_sources"] = _source(o, where, docs)
    documents = sorted({s["doc"] for s in o["_sources"]})
    if len(documents) != 1:
        raise o.error(f"{where}: its sources are in {' and '.join(documents)}; an observation comes from one document (split it)", "sources")
    o["_doc"] = documents[0]


def _when(o: Record, where: str) -> None:
    """A date as precise as the source states it, or the bounds its text supports, in order."""
    bounds = [k for k in ("not_before", "not_after") if k in o]
    if ("date" in o) == bool(bounds):
        raise o.error(f"{where}: give either date (YYYY, YYYY-MM or YYYY-MM-DD, as the source states it) or the bounds "
                      f"not_before/not_after its text supports, e.g. not_before: 2018-12-31", "date" if "date" in o else None)
    if "date" in o:
        o["date"] = _partial_date(o, "date", where)
        return
    for key in bounds:
        o[key] = _date(o, key, where)
    if len(bounds) == 2 and o["not_before"] > o["not_after"]:
        raise o.error(f"{where}: not_before {o['not_before']} is after not_after {o['not_after']}; swap them", "not_after")


def _except(o: Record, kind: str, ref: str, where: str, known) -> None:
    left_out = _text_list(o, "except", where)
    if left_out and kind != "network":
        raise o.error(f"{where}: except names the trials a network observation leaves out; a {kind} has none", "except")
    programme, _, number = ref.partition("/")
    for t in left_out:
        trial = known["trial"].get(t) if known is not None else None
        if known is not None and (trial is None or str(trial.get("network")) != number or trial.get("programme") != programme):
            raise o.error(f"{where}: except {t!r} is not a trial of network {ref}; write programme/trial-id of one of its trials", "except")


def period(o: Record) -> tuple[str | None, str | None]:
    """The first and last day an observation can have held on: its bounds, or the first and last
    day of the year or month its date names (a whole day needs none). The last day is the one from
    which it counts "as of" a date (data/README.md, "Status observations")."""
    value = o.get("date")
    if value is None:
        return o.get("not_before"), o.get("not_after")
    if len(value) == 10:
        return None, None
    year, month = int(value[:4]), int(value[5:7]) if len(value) == 7 else None
    first = dt.date(year, month or 1, 1)
    following = dt.date(year + (month or 12) // 12, (month or 12) % 12 + 1, 1)
    return first.isoformat(), (following - dt.timedelta(days=1)).isoformat()
