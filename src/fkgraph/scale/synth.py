"""Synthetic records shaped like the real data, for benchmarks and scale tests.

The real dataset is small; fkgraph is meant to carry registers a thousand times larger. This
module makes such a register deterministically from a seed: networks with members, statutes
with a deep provision hierarchy, trials with sub-trials, Zipf-skewed exemptions (a few acts and
paragraphs set aside very often, most rarely), applications and evaluations. It produces the
same `Records` the YAML loader produces, so the benchmark measures fkgraph's own build path.

Known violations can be injected, so a validator's report can be checked for exactly them.
"""
from __future__ import annotations

import bisect
import itertools
import random
from dataclasses import dataclass
from pathlib import Path

from fkgraph.model.records import DECISIONS, KINDS, Record, Records

# What `inject` can break, each a mistake curators really make; the value says which shape
# should catch it (see ontology/shapes.ttl).
VIOLATIONS = {
    "trial-without-status": "a trial record with no status",
    "trial-without-network": "a programme II trial with no network",
    "trial-without-source": "a trial with no source excerpt",
    "start-outside-programme": "a start date outside the programme's period",
    "municipality-not-member": "a trial tied to a municipality outside its network",
    "parent-with-status": "a parent trial (with sub-trials) that carries its own status",
}

# The shape (in ontology/shapes.ttl, namespace fksh:) that must report each kind of violation,
# with the injected trial as focus node. trial-without-source also reports the trial's exemptions,
# which take their source from the trial.
CAUGHT_BY = {
    "trial-without-status": "TrialStatusRequired",
    "trial-without-network": "TrialNetworkRequired",
    "trial-without-source": "Source",
    "start-outside-programme": "TrialStartInProgrammePeriod",
    "municipality-not-member": "TrialMunicipalitiesInNetwork",
    "parent-with-status": "ParentTrialHasNoStatus",
}

SOURCES = [("000", 99), ("001", 94), ("002", 103), ("003", 58), ("004", 3316)]


@dataclass(frozen=True)
class Injected:
    kind: str
    trial: str   # the trial id whose record was broken


def _rec(**kw) -> Record:
    r = Record(kw)
    r.file, r.line, r.key_lines = "<synth>", 1, {}
    return r


class _Zipf:
    """Draw 0..n-1 with probability ∝ 1/(k+1)^s, by bisecting the cumulative weights."""

    def __init__(self, n: int, s: float, rng: random.Random):
        self.cum = list(itertools.accumulate(1.0 / (k + 1) ** s for k in range(n)))
        self.rng = rng

    def __call__(self) -> int:
        return bisect.bisect_left(self.cum, self.rng.random() * self.cum[-1])


def _source(rng: random.Random) -> list[dict]:
    doc, n = SOURCES[4] if rng.random() < 0.9 else rng.choice(SOURCES[:4])
    start = rng.randint(1, n - 10)
    return [{"doc": doc, "start": start, "end": start + rng.randint(0, 9)}]


def generate(trials: int = 1000, seed: int = 0, inject: int = 0, progress=None) -> tuple[Records, list[Injected]]:
    """Records with `trials` trials (sub-trials included); `inject` violations of each kind.
    `progress(stage, done, total)` hears every thousand trials (see fkgraph.rdf.store.Progress)."""
    rng = random.Random(seed)
    rec = Records(root=Path("<synth>"))
    rec.sources = [_rec(id=d, file=f"{d}.txt", kind="report", line_count=n, title={"da": f"Kilde {d}", "en": f"Source {d}"}) for d, n in SOURCES]
    rec.programmes = [_rec(id="frikommune-ii", name={"da": "Frikommuneforsøg II", "en": "Free-municipality programme II"},
                           start="2016-01-01", end="2020-12-31", _sources=_source(rng),
                           rounds=[_rec(number=n, deadline=d, in_force=f, _sources=_source(rng)) for n, d, f in
                                   [(1, "2016-12-01", "2017-07-01"), (2, "2017-05-01", "2018-01-01"), (3, "2017-11-01", "2018-07-01")]])]
    n_networks = max(8, trials // 60)
    n_munis = max(44, trials // 25)
    n_statutes = max(25, trials // 400)
    rec.municipalities = [_rec(code=f"{i + 1:04d}", name=f"Kommune {i + 1}", _sources=_source(rng)) for i in range(n_munis)]
    rec.statutes = [_rec(id=f"S{i}", title={"da": f"Lov nr. {i}", "en": f"Act no. {i}"},
                         type="lov" if i % 4 else "bekendtgørelse", variants=[f"lov nummer {i}"]) for i in range(n_statutes)]
    for i in range(n_networks):
        members = sorted(rng.sample(range(n_munis), rng.randint(3, 11)))
        rec.networks.append(_rec(programme="frikommune-ii", number=i + 1, members=[f"{m + 1:04d}" for m in members],
                                 name={"da": f"Netværk {i + 1}", "en": f"Network {i + 1}"}, _sources=_source(rng)))
    statute_of = _Zipf(n_statutes, 1.1, rng)
    paragraph_of = _Zipf(300, 1.2, rng)
    starts = ["2017-07-01", "2018-01-01", "2018-07-01"]
    statuses = ["approved", "approved", "expected", "possible"]

    def cite() -> str:
        s, p = statute_of(), paragraph_of() + 1
        letter = " a" if rng.random() < 0.05 else ""
        r = rng.random()
        if r < 0.35:
            return f"S{s} § {p}{letter}"
        if r < 0.8:
            return f"S{s} § {p}{letter}, stk. {rng.randint(1, 6)}"
        if r < 0.92:
            return f"S{s} § {p}{letter}, stk. {rng.randint(1, 4)}, nr. {rng.randint(1, 9)}"
        return f"S{s} § {p}{letter}, stk. {rng.randint(1, 4)}, {rng.randint(1, 3)}. pkt."

    made = reported = 0
    while made < trials:
        if progress and made >= reported:
            progress("generating", made, trials)
            reported += 1000
        network = rec.networks[rng.randrange(n_networks)]
        base_id = f"forsoeg-{made + 1}"
        children = rng.choice([2, 3]) if rng.random() < 0.1 and trials - made >= 4 else 0
        group = [base_id] + [f"{base_id}-del-{k + 1}" for k in range(children)]
        for k, tid in enumerate(group):
            t = _rec(id=tid, programme="frikommune-ii", network=network["number"],
                     name={"da": f"Forsøg {made + 1}", "en": f"Trial {made + 1}"}, _sources=_source(rng))
            if k:
                t["parent"] = base_id
            if not children or k:
                t["status"] = rng.choice(statuses)
                t["start"] = rng.choice(starts)
                t["status_text"] = f"Godkendt til opstart {t['start']}"
                if rng.random() < 0.4:
                    t["municipalities"] = rng.sample(network["members"], rng.randint(1, min(3, len(network["members"]))))
                # The real tables average about two atomic provisions per trial, a few with many.
                groups = 1 if rng.random() < 0.85 else 2
                t["exemptions"] = [_rec(kind=rng.choice(KINDS), partial=rng.random() < 0.2, text="Fritagelse fra …",
                                        cites=sorted({cite() for _ in range(1 if rng.random() < 0.7 else rng.randint(2, 6))}))
                                   for _ in range(groups)]
            else:
                t["_has_children"] = True
            rec.trials.append(t)
            made += 1
    if progress:
        progress("generating", trials, trials)
    for i in range(trials // 5):
        t = rng.choice(rec.trials)
        a = _rec(id=f"ansoegning-{i + 1}", programme="frikommune-ii", network=t["network"], name={"da": f"Ansøgning {i + 1}"},
                 decision=rng.choice(DECISIONS), round=rng.randint(1, 3), _sources=_source(rng))
        if a["decision"] in ("granted", "partly-granted"):
            a["trial"] = t["id"]
        rec.applications.append(a)
    for n in rec.networks:
        rec.evaluations.append(_rec(programme="frikommune-ii", network=n["number"], evaluator="VIVE",
                                    design={"da": f"Virkningsevaluering af netværk {n['number']}"}, _sources=_source(rng)))
    return rec, _inject(rec, inject, rng)


def _inject(rec: Records, count: int, rng: random.Random) -> list[Injected]:
    """Break `count` distinct trials for each kind of violation; say which."""
    if not count:
        return []
    leaves = [t for t in rec.trials if "status" in t and "parent" not in t]
    parents = {t["id"]: t for t in rec.trials if t.get("_has_children")}
    picked = rng.sample(leaves, min(len(leaves), count * (len(VIOLATIONS) - 1)))
    out, it = [], iter(picked)
    for kind in VIOLATIONS:
        if kind == "parent-with-status":
            for t in sorted(parents.values(), key=lambda t: t["id"])[:count]:
                t["status"], t["start"] = "approved", "2017-07-01"
                out.append(Injected(kind, t["id"]))
            continue
        for t in itertools.islice(it, count):
            if kind == "trial-without-status":
                del t["status"]
            elif kind == "trial-without-network":
                t["network"] = None
            elif kind == "trial-without-source":
                t["_sources"] = []
            elif kind == "start-outside-programme":
                t["start"] = "2031-01-01"
            elif kind == "municipality-not-member":
                network = next(n for n in rec.networks if n["number"] == t["network"])
                outsider = next(m["code"] for m in rec.municipalities if m["code"] not in network["members"])
                t["municipalities"] = [outsider]
            out.append(Injected(kind, t["id"]))
    return out


def write(path: str | Path, trials: int = 1000, seed: int = 0, inject: int = 0, fmt: str | None = None,
          base: str | None = None, progress=None) -> tuple[Path, int, list[Injected]]:
    """Generate, build and write a synthetic graph atomically (format from the extension: .nt,
    .ttl, .jsonld, optionally .gz). Returns (path written, number of triples, injected violations).

    Same arguments, same bytes: the generator is seeded and the writers are deterministic."""
    from fkgraph.rdf import mapping
    from fkgraph.model import iris
    from fkgraph.rdf.serialize import export as export_store, format_for

    if trials < 1:
        raise ValueError(f"--trials {trials}: give at least 1")
    if inject < 0:
        raise ValueError(f"--inject {inject}: give 0 or more violations of each kind")
    records, injected = generate(trials, seed, inject, progress)
    built = mapping.build(records, base=base or iris.DEFAULT_BASE, progress=progress)
    if progress:
        progress("writing", 0, 1)
    written = export_store(built.store, path, fmt or format_for(path))  # sorted at write time
    if progress:
        progress("writing", 1, 1)
    return written, len(built.store), injected
