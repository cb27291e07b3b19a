"""data/observations.yaml against its sources: counts, quotations, ids and line ranges.

The counts are the result of reading seeds 002 and 000 line by line (data/README.md, "Status
observations", lists every statement left out). A reviewer can recheck them from this list:

seed 002 (17 observations)
  programme frikommune-ii: decided (line 24), active, 38 municipalities (28)
  programme frikommune-iii: announced (5), application deadline 2019-04-01 (26)
  network 7 active (37, 39); network 5 active (60, 62); network 4 active (66, 68);
  network 3 delayed, all but three trials (72, 80); network 2 restricted from 2018-12-01 (84, 86-88);
  network 1 started, all 20 trials (92, 94)
  trials: network 6's purchasable services in preparation (47, 49); the clip-card trial ended
  2018-12-31 and its evaluation planned (55, twice); the sleep-technology trial started 2018 (57);
  network 3's technology (72, 74), purchasable services (72, 76) and § 129 (72, 78) trials active
seed 000 (5 observations, all `evaluated`)
  programme frikommune-ii (11); networks 1 (15-17), 2 (45-47) and 5 (78-82); network 4's trial on
  a holistic view of support, in Ikast-Brande (72-74)

By subject: 5 programme, 9 network, 8 trial. The file is read here with plain yaml.safe_load,
independently of the package's reader (fkgraph.model.observations).
"""
from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from conftest import seed_lines

DATA = Path(__file__).resolve().parents[1] / "data"
FILE = yaml.safe_load((DATA / "observations.yaml").read_text(encoding="utf-8"))
OBS = FILE["observations"]
SOURCES = {str(s["id"]): s for s in yaml.safe_load((DATA / "sources.yaml").read_text(encoding="utf-8"))}
NETWORKS = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted((DATA / "networks").glob("*.yaml"))]
TRIALS = {f"{n['network']['programme']}/{t['id']}": n["network"]["number"] for n in NETWORKS
          for t in n.get("trials") or []}
NETWORK_IDS = {f"{n['network']['programme']}/{n['network']['number']}" for n in NETWORKS}
PROGRAMMES = {p["id"] for p in yaml.safe_load((DATA / "programmes.yaml").read_text(encoding="utf-8"))}
MUNICIPALITIES = {m["code"] for m in yaml.safe_load((DATA / "municipalities.yaml").read_text(encoding="utf-8"))}
PARTIAL = re.compile(r"^[0-9]{4}(-(0[1-9]|1[0-2])(-[0-9]{2})?)?\Z")


def sources(o) -> list[dict]:
    return o.get("sources") or [o["source"]]


def span(ref) -> tuple[int, int]:
    first, _, last = str(ref["lines"]).partition("-")
    return int(first), int(last or first)


def kind(o) -> str:
    (k,) = o["subject"]
    return k


def doc(o) -> str:
    (d,) = {str(s["doc"]) for s in sources(o)}  # one document per observation
    return d


def flat(text: str) -> str:
    return " ".join(text.split())


def find(subject_key: str, subject: str, status: str) -> dict:
    (o,) = [o for o in OBS if o["subject"].get(subject_key) == subject and o["status"] == status]
    return o


def quoted(o) -> str:
    return "\n".join(seed_lines(doc(o), *span(s)) for s in sources(o))


def days(value) -> tuple[dt.date, dt.date]:
    """The first and last day a YYYY, YYYY-MM or YYYY-MM-DD value stands for."""
    text = str(value)
    assert PARTIAL.match(text), f"{text!r} is not YYYY, YYYY-MM or YYYY-MM-DD"
    if len(text) == 10:
        day = dt.date.fromisoformat(text)
        return day, day
    year, month = int(text[:4]), int(text[5:7]) if len(text) == 7 else None
    if month is None:
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return dt.date(year, month, 1), following - dt.timedelta(days=1)


# ---- (a) the counts of the reading ------------------------------------------------------------

def test_counts_per_source_document():
    assert Counter(doc(o) for o in OBS) == {"002": 17, "000": 5}


def test_counts_per_subject_kind():
    assert Counter(kind(o) for o in OBS) == {"programme": 5, "network": 9, "trial": 8}


def test_seed_000_gives_evaluations_only():
    assert {o["status"] for o in OBS if doc(o) == "000"} == {"evaluated"}


# ---- (b) three observations against the lines they cite ---------------------------------------

def test_clip_card_trial_ended_on_31_december_2018():
    o = find("trial", "frikommune-ii/fritagelse-for-dokumentation-ved-brug-af-midler-fra-klippekortsordningen", "ended")
    text = quoted(o)
    assert "klippekort" in text and "afsluttet" in text and "31.12. 2018" in text
    assert str(o["date"]) == "2018-12-31"


def test_sleep_technology_trial_started_at_the_end_of_2018():
    o = find("trial", "frikommune-ii/soevnforbedrende-velfaerdsteknologier", "started")
    text = quoted(o)
    assert "søvnforbedrende velfærdsteknologier" in text and "igangsat i slutningen af 2018" in text
    assert str(o["date"]) == "2018"  # the source names the year, not a month


def test_network_3_delayed_by_the_legal_clarification():
    o = find("network", "frikommune-ii/3", "delayed")
    text = flat(quoted(o))
    assert "det specialiserede socialområde" in text  # the heading that names network 3
    assert "juridiske grundlag" in text and "forsinket implementeringen" in text and "ministerier" in text
    assert all(TRIALS[t] == 3 for t in o["except"]) and len(o["except"]) == 3


# ---- verbatim fields, for every observation ----------------------------------------------------

@pytest.mark.parametrize("o", OBS, ids=lambda o: f"{doc(o)}:{o['status']}:{next(iter(o['subject'].values()))[-40:]}")
def test_verbatim_fields_occur_in_the_cited_lines(o):
    text = flat(quoted(o))
    for key in ("text", "reason"):
        if key in o:
            assert flat(o[key]["da"]) in text, f"{key} is not in {doc(o)} lines {[s['lines'] for s in sources(o)]}"
    for key in ("date_text", "planned_text"):
        if key in o:
            assert flat(o[key]) in text, f"{key} {o[key]!r} is not in the cited lines"


# ---- (c) ids ------------------------------------------------------------------------------------

def test_every_trial_id_exists():
    named = [o["subject"]["trial"] for o in OBS if kind(o) == "trial"] + [t for o in OBS for t in o.get("except") or []]
    assert named and not [t for t in named if t not in TRIALS]


def test_every_network_and_programme_exists():
    assert "programmes" not in FILE, "programmes belong in programmes.yaml (start and end are optional there)"
    assert not [o["subject"]["network"] for o in OBS if kind(o) == "network" and o["subject"]["network"] not in NETWORK_IDS]
    assert not [o["subject"]["programme"] for o in OBS if kind(o) == "programme"
                and o["subject"]["programme"] not in PROGRAMMES]


def test_except_only_on_networks_and_within_them():
    for o in OBS:
        if "except" in o:
            assert kind(o) == "network"
            number = int(o["subject"]["network"].rsplit("/", 1)[1])
            assert {TRIALS[t] for t in o["except"]} == {number}


def test_every_municipality_exists():
    named = [c for o in OBS for c in o.get("municipalities") or []]
    assert named and not [c for c in named if c not in MUNICIPALITIES]


# ---- (d) line ranges, dates, statuses -----------------------------------------------------------

def test_every_line_range_lies_within_its_document():
    for o in OBS:
        for s in sources(o):
            first, last = span(s)
            assert 1 <= first <= last <= SOURCES[str(s["doc"])]["line_count"], (s, o.get("subject"))


def test_a_date_or_bounds_and_the_bounds_in_order():
    for o in OBS:
        assert ("date" in o) != ("not_before" in o or "not_after" in o), o["subject"]
        for key in ("date", "not_before", "not_after", "planned"):
            if key in o:
                days(o[key])
        if "not_before" in o and "not_after" in o:
            assert days(o["not_before"])[0] <= days(o["not_after"])[1]


def test_statuses_used_are_defined_and_defined_ones_used():
    defined = {s["code"]: s for s in FILE["statuses"]}
    for s in defined.values():
        assert s["label"]["da"] and s["label"]["en"] and s["definition"]["da"] and s["definition"]["en"]
    used_here = {o["status"] for o in OBS}
    used_by_networks = {t["status"] for n in NETWORKS for t in n.get("trials") or [] if t.get("status")}
    assert used_here <= set(defined)
    assert {c for c, s in defined.items() if s.get("used_by") == "networks"} == used_by_networks
    assert set(defined) == used_here | used_by_networks


def test_subject_status_and_document_identify_an_observation():
    keys = Counter((kind(o), next(iter(o["subject"].values())), o["status"], doc(o)) for o in OBS)
    assert [k for k, n in keys.items() if n > 1] == []


def test_codes_shared_with_the_ontology_keep_its_labels():
    """Every code is a concept of fk:TrialStatusScheme with the same labels and definitions: one scheme."""
    import pyoxigraph as ox

    store = ox.Store()
    store.load(path=str(DATA.parent / "ontology" / "fk.ttl"), format=ox.RdfFormat.TURTLE)
    for prop, key in (("prefLabel", "label"), ("definition", "definition")):
        ontology: dict[str, dict[str, str]] = {}
        for row in store.query(f"SELECT ?c ?l WHERE {{ ?c <http://www.w3.org/2004/02/skos/core#{prop}> ?l }}"):
            m = re.search(r"[#/]status-([a-z-]+)\Z", row["c"].value)
            if m:
                ontology.setdefault(m.group(1), {})[row["l"].language] = row["l"].value
        here = {s["code"]: s[key] for s in FILE["statuses"]}
        assert set(here) <= set(ontology), "every code of the file is a concept of fk:TrialStatusScheme"
        assert here == {c: ontology[c] for c in here}, prop
