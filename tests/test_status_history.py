"""Status over time: `trials -p as-of=DATE`, the `status-history` query, the reader of
observations.yaml and the SHACL rule that two observations of one subject do not contradict.

The expected statuses come from the records, read here with plain yaml (the February 2018 status
of the network file; the dated observation of observations.yaml), not from the query output."""
from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from fkgraph import api
from fkgraph.model import records
from fkgraph.model.records import RecordErrors

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
PREFIX = "https://w3id.org/fkgraph/id/trial/frikommune-ii/"
CLIP = "fritagelse-for-dokumentation-ved-brug-af-midler-fra-klippekortsordningen"
SLEEP = "soevnforbedrende-velfaerdsteknologier"
OBS = "data/observations.yaml"


def record_of(trial: str) -> dict:
    """The trial's record in its network file, with the network's number."""
    for path in sorted((DATA / "networks").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for t in data.get("trials") or []:
            if t["id"] == trial:
                return {**t, "network": data["network"]["number"]}
    return {}


def observation_of(trial: str, status: str) -> dict:
    (o,) = [o for o in yaml.safe_load((DATA / "observations.yaml").read_text(encoding="utf-8"))["observations"]
            if o["subject"].get("trial") == f"frikommune-ii/{trial}" and o["status"] == status]
    return o


def fk(*args: str, home: Path = ROOT) -> list[dict]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    env.pop("FKGRAPH_HOME", None)
    r = subprocess.run([sys.executable, "-m", "fkgraph", "--home", str(home), *args, "--format", "csv"],
                       capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr
    return list(csv.DictReader(io.StringIO(r.stdout)))


def statuses(rows: list[dict]) -> dict[str, str]:
    return {r["trial"].removeprefix(PREFIX): r["status"] for r in rows}


@pytest.fixture(scope="module")
def today() -> dict[str, str]:
    return statuses(fk("query", "trials"))


@pytest.mark.slow
def test_as_of_january_2019_the_clip_card_trial_has_ended_and_the_sleep_trial_started(today):
    as_of = statuses(fk("query", "trials", "-p", "as-of=2019-01-15"))
    assert as_of[CLIP] == observation_of(CLIP, "ended")["status"] == "ended"
    assert as_of[SLEEP] == observation_of(SLEEP, "started")["status"] == "started"
    # the other trials keep their February 2018 status: no observation of them counts by then
    changed = {t for t in as_of if as_of[t] != today[t]}
    assert changed == {CLIP, SLEEP}
    assert len(as_of) == len(today)


@pytest.mark.slow
def test_as_of_february_2018_both_have_their_2018_status(today):
    as_of = statuses(fk("query", "trials", "-p", "as-of=2018-02-01"))
    assert as_of[CLIP] == record_of(CLIP)["status"] == "expected"
    assert as_of[SLEEP] == record_of(SLEEP)["status"] == "expected"
    assert as_of == today


def test_without_as_of_the_status_is_the_february_2018_one(built):
    rows = api.query("trials", {}, built=built)
    got = {r[1].removeprefix(PREFIX): r[4] for r in rows.rows}
    for trial in (CLIP, SLEEP):
        assert got[trial] == record_of(trial)["status"]


@pytest.mark.parametrize("name,params", [("municipality-trials", {"municipality": "Aarhus"}),
                                         ("trials-exempting", {"provision": "SL"}), ("trials-without-exemption", {})])
def test_every_query_that_lists_trials_gives_the_same_status_as_of_a_date(built, name, params):
    for day in ("2018-02-01", "2019-01-15", "2019-04-01", "2021-01-01"):
        listed = api.query("trials", {"as-of": day}, built=built)
        want = {r[1]: r[4] for r in listed.rows}
        rows = api.query(name, {**params, "as-of": day}, built=built)
        got = {r[rows.columns.index("trial")]: r[rows.columns.index("status")] for r in rows.rows}
        assert got and all(want[t] == s for t, s in got.items()), (name, day)
    # before any observation counts, as without the parameter
    assert api.query(name, {**params, "as-of": "2018-02-01"}, built=built).rows == api.query(name, params, built=built).rows


DAYS = ("2018-02-01", "2018-12-31", "2019-01-15", "2019-04-01", "2021-01-01")


def test_every_query_that_counts_by_status_takes_as_of():
    from fkgraph.sparql import catalogue

    counting = {name for name, q in catalogue.catalogue(ROOT / "queries").items()
                if any(p.name == "status" for p in q.params)}
    assert {"most-exempted-statutes", "statute-network-matrix", "shared-provisions"} <= counting
    for name in counting | {"network-overview"}:
        q = catalogue.catalogue(ROOT / "queries")[name]
        assert "asof" in {p.name for p in q.params}, name


@pytest.mark.parametrize("day", DAYS)
def test_statutes_count_the_trials_that_have_a_status_as_of_a_date(built, day):
    """most-exempted-statutes -p status=S -p as-of=D counts, per statute, the trials that
    `trials -p as-of=D` gives status S, among the trials `exemptions` lists for that statute."""
    listed = api.query("trials", {"as-of": day}, built=built)
    status_of = {r[1]: r[4] for r in listed.rows}
    exemptions = api.query("exemptions", {}, built=built)
    col = exemptions.columns.index
    for status in sorted({s for s in status_of.values() if s}):
        want: dict[str, set] = {}
        for r in exemptions.rows:
            if status_of.get(r[col("trial")]) == status:
                want.setdefault(r[col("statute")], set()).add(r[col("trial")])
        rows = api.query("most-exempted-statutes", {"as-of": day, "status": status}, built=built)
        got = {r[0]: r[2] for r in rows.rows}
        assert got == {s: len(t) for s, t in want.items()}, (day, status)


@pytest.mark.parametrize("day", DAYS)
def test_network_overview_counts_trials_by_their_status_as_of_a_date(built, day):
    listed = api.query("trials", {"as-of": day}, built=built)
    parents = {r[2] for r in listed.rows if r[2]}
    leaves = [r for r in listed.rows if r[1] not in parents and r[0] is not None]
    for row in api.query("network-overview", {"as-of": day}, built=built).dicts():
        mine = [r[4] for r in leaves if r[0] == row["network"]]
        assert row["trials"] == len(mine)
        for status in ("approved", "expected", "possible"):
            assert row[status] == mine.count(status), (day, row["network"], status)
        assert row["other"] == len([s for s in mine if s not in ("approved", "expected", "possible")])
    assert day < "2018-12-31" or any(r["other"] for r in api.query("network-overview", {"as-of": day}, built=built).dicts())


def test_a_year_counts_from_its_last_day_and_bounds_from_not_after(built):
    """The sleep trial started "i slutningen af 2018" (date 2018): not yet on 2018-12-30, on
    2018-12-31. The clip-card trial's evaluation was planned at a date bounded by 2019-04-01."""
    def status(trial, day):
        rows = api.query("trials", {"as-of": day}, built=built)
        return {r[1].removeprefix(PREFIX): r[4] for r in rows.rows}[trial]
    assert str(observation_of(SLEEP, "started")["date"]) == "2018"
    assert status(SLEEP, "2018-12-30") == "expected" and status(SLEEP, "2018-12-31") == "started"
    assert str(observation_of(CLIP, "evaluation-planned")["not_after"]) == "2019-04-01"
    assert status(CLIP, "2019-03-31") == "ended" and status(CLIP, "2019-04-01") == "evaluation-planned"


def test_history_of_the_clip_card_trial_from_2018_to_its_end(built):
    rows = api.query("status-history", {"trial": PREFIX + CLIP}, built=built)
    history = [dict(zip(rows.columns, r)) for r in rows.rows]
    first, second = history[0], history[1]
    record = record_of(CLIP)
    assert (first["status"], first["source"], first["lines"]) == (record["status"], "004", record["source"]["lines"])
    assert first["date"] == "2018-02"  # the issue date of 004, as sources.yaml states it
    ended = observation_of(CLIP, "ended")
    assert (second["status"], second["date"], second["source"], second["lines"]) == (
        "ended", str(ended["date"]), "002", ended["source"]["lines"])
    assert second["date"] == "2018-12-31"
    assert [h["status"] for h in history] == ["expected", "ended", "evaluation-planned"]


def test_history_cites_the_lines_that_say_it(built):
    from conftest import seed_lines

    rows = api.query("status-history", {"trial": PREFIX + CLIP}, built=built)
    history = [dict(zip(rows.columns, r)) for r in rows.rows]
    for h in history[:2]:
        first, _, last = h["lines"].partition("-")
        text = " ".join(seed_lines(h["source"], int(first), int(last or first)).split())
        assert " ".join(h["text"].split()).rstrip(".") in text, h


def test_history_of_every_trial_is_oldest_first(built):
    rows = api.query("status-history", {}, built=built)
    history = [{k: v or "" for k, v in zip(rows.columns, r)} for r in rows.rows]
    by_trial: dict[str, list[dict]] = {}
    for h in history:
        by_trial.setdefault(h["trial"], []).append(h)
    observed = {o["subject"]["trial"] for o in yaml.safe_load((DATA / "observations.yaml").read_text(encoding="utf-8"))["observations"]
                if "trial" in o["subject"]}
    assert {t.removeprefix("https://w3id.org/fkgraph/id/trial/") for t, h in by_trial.items() if len(h) > 1} == observed
    for trial in observed:
        h = by_trial["https://w3id.org/fkgraph/id/trial/" + trial]
        assert h[0]["source"] == "004" and {x["source"] for x in h[1:]} <= {"002", "000"}
        keys = [x["date"] if len(x["date"]) == 10 else x["not_after"] or x["not_before"] or x["date"] for x in h[1:]]
        assert keys == sorted(keys)


def test_contradicting_observations_fail_shacl_on_their_yaml_lines(home):
    """The clip-card trial said to have started on the day it ended (same subject, same date):
    the records accept it (status, subject and document differ from the others), SHACL does not."""
    path = home / OBS
    text = path.read_text(encoding="utf-8")
    added = ("  - subject: {trial: frikommune-ii/" + CLIP + "}\n    status: started\n    date: 2018-12-31\n"
             "    text: {da: \"Forsøget omkring klippekortsordningen\"}\n    source: {doc: \"002\", lines: \"55\"}\n")
    path.write_text(text + added, encoding="utf-8")
    report = api.validate(home=home)
    assert not report.conforms
    found = [r for r in report.results if r.source_shape.endswith("StatusObservationsAgree")]
    assert len(found) == 2  # each observation names the other's status
    lines = text.count("\n") + 2, text[:text.index("status: ended\n    date: 2018-12-31")].count("\n") + 1
    assert {(r.file, r.line) for r in found} == {(OBS, lines[0]), (OBS, lines[1])}


@pytest.mark.parametrize("old,new,message", [
    ("subject: {trial: frikommune-ii/" + SLEEP + "}", "subject: {trial: frikommune-ii/no-such-trial}", "is not in the records"),
    ("subject: {network: frikommune-ii/7}", "subject: {network: frikommune-ii/9}", "is not in the records"),
    ("    status: restricted\n", "    status: finished\n", "is not one of the statuses"),
    ('municipalities: ["0751", "0561"]', 'municipalities: ["0751", "9999"]', "is not in municipalities.yaml"),
    ("    date: 2018-12-01\n", "    date: 2018-13-01\n", "is not a real date"),
    ("    not_before: 2020-01-01\n    date_text: \"I forrige uge\"", "    not_before: 2020-01-01\n    not_after: 2019-01-01\n    date_text: \"I forrige uge\"", "is after not_after"),
    ("    source: {doc: \"002\", lines: \"57\"}", "    source: {doc: \"002\", lines: \"5700\"}", "run past the end"),
    ("    date: \"2018\"\n", "    date: \"2018\"\n    not_after: 2019-01-01\n", "either date"),
])
def test_the_reader_names_the_line_of_each_mistake(home, old, new, message):
    path = home / OBS
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(RecordErrors) as e:
        records.load(home / "data")
    (error,) = e.value.errors
    assert message in error.message and error.file.endswith("observations.yaml")
    changed = text[:text.index(old)].count("\n") + 1
    assert changed <= error.line <= changed + new.count("\n") + 1, (error.line, changed)


# ---- the site ---------------------------------------------------------------------------------------

class Tables(HTMLParser):
    """Each table of a page: its caption and its rows, each cell as (text, links)."""

    def __init__(self):
        super().__init__()
        self.tables: list[dict] = []
        self.cell = None
        self.in_caption = False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"caption": "", "rows": []})
        elif tag == "caption":
            self.in_caption = True
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"].append([])
        elif tag in ("td", "th") and self.tables:
            self.cell = ["", []]
        elif tag == "a" and self.cell is not None:
            self.cell[1].append(dict(attrs)["href"])

    def handle_endtag(self, tag):
        if tag == "caption":
            self.in_caption = False
        elif tag in ("td", "th") and self.cell is not None:
            self.tables[-1]["rows"][-1].append((" ".join(self.cell[0].split()), self.cell[1]))
            self.cell = None

    def handle_data(self, data):
        if self.in_caption:
            self.tables[-1]["caption"] += data
        elif self.cell is not None:
            self.cell[0] += data


def timeline(page: Path, caption: str) -> list[list[tuple[str, list[str]]]]:
    parser = Tables()
    parser.feed(page.read_text(encoding="utf-8"))
    (table,) = [t for t in parser.tables if t["caption"].startswith(caption)]
    return table["rows"][1:]  # the header row first


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site") / "public"
    api.site(out, home=ROOT)
    return out


@pytest.mark.slow
def test_trial_page_shows_its_history_as_dated_rows_with_linked_sources(site):
    page = site / "id" / "trial" / "frikommune-ii" / f"{CLIP}.html"
    rows = timeline(page, "Status over tid")
    assert [r[0][0].split()[0] for r in rows] == ["2018-02", "2018-12-31", "mellem"]
    assert [r[1][0].split()[0] for r in rows] == ["forventes", "afsluttet", "evaluering"]
    for row, doc, lines in zip(rows, ("004", "002", "002"), (record_of(CLIP)["source"]["lines"], "55", "55")):
        (href,) = row[3][1]
        assert (page.parent / href).resolve() == (site / "id" / "source" / f"{doc}.html").resolve()
        assert f"linje {lines}" in row[3][0]


@pytest.mark.slow
def test_network_page_summarises_the_history_of_the_network_and_its_trials(site):
    rows = timeline(site / "id" / "network" / "frikommune-ii" / "6.html", "Status over tid")
    def in_network_6(subject: dict) -> bool:
        if "trial" in subject:
            return record_of(subject["trial"].split("/", 1)[1]).get("network") == 6
        return subject.get("network") == "frikommune-ii/6"
    observed = [o for o in yaml.safe_load((DATA / "observations.yaml").read_text(encoding="utf-8"))["observations"]
                if in_network_6(o["subject"])]
    assert len(rows) == len(observed) == 4
    assert [r[0][0] for r in rows][:2] == ["2018", "2018-12-31"]  # the sleep trial's year sorts by its last day


@pytest.mark.slow
def test_the_further_programme_page_shows_its_announcement_before_its_deadline(site):
    rows = timeline(site / "id" / "programme" / "frikommune-iii.html", "Status over tid")
    assert [r[1][0].split()[0] for r in rows] == ["varslet", "ansøgningsfrist"]
    assert rows[1][0][0].startswith("2019-04-01") and rows[0][0][0].startswith("mellem 2018-12-31 og 2019-04-01")


def test_counts_municipalities_and_plans_reach_the_graph(built):
    """Every `count`, `municipalities` and `planned` of observations.yaml is in the RDF of its
    observation (read here with a plain SELECT, the file with plain yaml)."""
    observations = yaml.safe_load((DATA / "observations.yaml").read_text(encoding="utf-8"))["observations"]
    detailed = [o for o in observations if {"count", "municipalities", "planned"} & set(o)]
    assert len(detailed) >= 6
    fkns = "https://w3id.org/fkgraph/ontology#"
    got: dict[tuple, set] = {}
    for row in built.store.query(f"""SELECT ?about ?status ?p ?v WHERE {{
            ?o a <{fkns}StatusObservation> ; <{fkns}about> ?about ; <{fkns}observedStatus> ?s ; ?p ?v .
            BIND(STRAFTER(STR(?s), "#status-") AS ?status)
            FILTER(?p IN (<{fkns}trialCount>, <{fkns}municipalityCount>, <{fkns}recommendationCount>,
                          <{fkns}involvedMunicipality>, <{fkns}plannedFor>)) }}"""):
        about, status, p, v = (t.value for t in row)
        got.setdefault((about.rsplit("/id/", 1)[1], status), set()).add((p.removeprefix(fkns), v.rsplit("/", 1)[-1]))
    for o in detailed:
        kind, ref = next(iter(o["subject"].items()))
        names = {"trials": "trialCount", "municipalities": "municipalityCount", "recommendations": "recommendationCount"}
        want = {(names[k], str(n)) for k, n in (o.get("count") or {}).items()}
        want |= {("involvedMunicipality", c) for c in o.get("municipalities") or []}
        want |= {("plannedFor", str(o["planned"]))} if "planned" in o else set()
        assert got.pop((f"{kind}/{ref}", o["status"])) == want, o["subject"]
    assert not got


def test_the_observations_query_gives_the_38_municipalities_and_network_1s_20_trials(built):
    rows = api.query("observations", {}, built=built).dicts()
    observations = yaml.safe_load((DATA / "observations.yaml").read_text(encoding="utf-8"))["observations"]
    assert len(rows) == len([o for o in observations if "trial" not in o["subject"]])
    (active,) = [r for r in rows if r["programme"] == "frikommune-ii" and r["network"] is None and r["status"] == "active"]
    assert (active["municipalities"], active["source"], active["lines"]) == (38, "002", "28")
    (started,) = [r for r in rows if r["network"] == 1 and r["status"] == "started"]
    assert started["trials"] == 20 and "alle 20 forsøg" in started["text"]
    assert [r["network"] for r in api.query("observations", {"network": "1"}, built=built).dicts()] == [1, 1]
