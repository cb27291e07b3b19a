"""The synthetic generator: deterministic, shaped like the real data, violations where asked;
and the benchmark's smoke run (no timing assertions)."""
from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pyoxigraph
import pytest
from click.testing import CliRunner

from fkgraph import graph, synth
from fkgraph.cli import cli

ROOT = Path(__file__).resolve().parents[1]


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    a, b, c = (tmp_path / n for n in ("a.nt", "b.nt", "c.nt"))
    synth.write(a, 120, seed=4, inject=1)
    synth.write(b, 120, seed=4, inject=1)
    synth.write(c, 120, seed=5, inject=1)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    assert not list(tmp_path.glob(".*.part")), "atomic write leaves no temporary file"


def test_shape_of_the_data():
    records, injected = synth.generate(600, seed=3)
    assert injected == []
    assert len(records.trials) == 600
    subs = [t for t in records.trials if t.get("parent")]
    parents = {t["parent"] for t in subs}
    assert subs and all(any(p["id"] == t["parent"] for p in records.trials) for t in subs)
    assert all("status" not in t for t in records.trials if t["id"] in parents), "parents carry no status"
    # Zipf: the most exempted statute is set aside far more often than the median one
    per_statute = Counter(c.split(" §")[0] for t in records.trials for ex in t.get("exemptions", []) for c in ex["cites"])
    counts = sorted(per_statute.values(), reverse=True)
    assert counts[0] > 5 * counts[len(counts) // 2]
    # provisions at every level of the hierarchy
    cites = [c for t in records.trials for ex in t.get("exemptions", []) for c in ex["cites"]]
    assert any("stk." not in c for c in cites) and any("nr." in c for c in cites) and any("pkt." in c for c in cites)
    assert records.applications and records.evaluations
    built = graph.build(records)
    per_trial = len(built.store) / len(records.trials)
    assert 25 < per_trial < 90, per_trial  # the real data: ~6k triples for 82 trials


def test_inject_breaks_k_trials_of_each_kind():
    records, injected = synth.generate(300, seed=9, inject=2)
    by_kind = Counter(v.kind for v in injected)
    assert by_kind == {k: 2 for k in synth.VIOLATIONS}
    assert len({v.trial for v in injected}) == len(injected)
    trials = {t["id"]: t for t in records.trials}
    for v in injected:
        t = trials[v.trial]
        if v.kind == "trial-without-status":
            assert "status" not in t
        elif v.kind == "start-outside-programme":
            assert t["start"] > "2020-12-31"


def test_cli_synth_writes_turtle_and_lists_injections(tmp_path):
    out = tmp_path / "x.ttl"
    res = CliRunner().invoke(cli, ["synth", "-n", "50", "-s", "1", "--inject", "1", "-o", str(out)])
    assert res.exit_code == 0, res.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("@prefix") and "fk:Trial" in text
    err = res.output
    assert sum(line.startswith("injected ") for line in err.splitlines()) == len(synth.VIOLATIONS)


def test_cli_synth_refuses_zero_trials(tmp_path):
    res = CliRunner().invoke(cli, ["synth", "-n", "0", "-o", str(tmp_path / "x.nt")])
    assert res.exit_code == 2


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    """What CI runs: the benchmark at 1k trials, small caps, no timing assertions."""
    pytest.importorskip("shacl")
    out = tmp_path_factory.mktemp("bench") / "smoke.json"
    p = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--trials", "1000", "--smoke",
                        "--output", str(out)], capture_output=True, text=True, timeout=300)
    return p, out


@pytest.mark.slow
def test_benchmark_smoke_run(smoke):
    """The smoke run must finish, write its JSON and find the fast engine identical to pyshacl on
    the parity graph."""
    p, out = smoke
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    report = json.loads(out.read_text())
    size = report["sizes"]["1000"]
    assert size["triples"] > 30000
    steps = size["fkgraph"]["steps"]
    assert "build" in steps and "validate" in steps and "export turtle" in steps
    assert sum(s.startswith("query ") for s in steps) == len(list((ROOT / "queries").glob("*.rq")))
    assert report["parity_small"]["identical"] and not report["parity_small"]["injected_missed"]
    assert "build" in p.stdout and "ratio" in p.stdout


def _bench(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), *argv],
                          capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_benchmark_parity_of_measures_parity_after_the_timed_run(smoke, tmp_path):
    """--parity-of fills in parity at full size for a results file whose pyshacl run hit its cap
    (the smoke run's 10 s cap, or made so here), on the same seeded graph, and leaves the timed
    figures as they were."""
    p, out = smoke
    assert p.returncode == 0
    report = json.loads(out.read_text())
    size = report["sizes"]["1000"]
    size["parity_full"] = "not measured: pyshacl took > 10 s"
    path = tmp_path / "r.json"
    path.write_text(json.dumps(report))
    q = _bench("--parity-of", str(path), "--parity-timeout", "500")
    assert q.returncode == 0, q.stdout[-2000:] + q.stderr[-2000:]
    after = json.loads(path.read_text())["sizes"]["1000"]
    assert after["parity_full"].startswith(f"identical: {size['fast_results']} fast vs {size['fast_results']} ")
    assert "cached SPARQL parses" in after["parity_full"]
    assert after["parity_full_run"]["parity_timeout_s"] == 500
    assert after["injected_missed"] == [] and size["injected"] >= 12   # every injected one reported
    assert size["injected_missed"] == []                               # the timed run says so too
    assert after["fkgraph"]["steps"] == size["fkgraph"]["steps"]
    assert after["baseline"]["steps"] == size["baseline"]["steps"]
    assert "met     the same violations as pyshacl" in q.stdout
    # measured now: a second call has nothing to do and leaves the file as it is
    before = path.read_bytes()
    again = _bench("--parity-of", str(path))
    assert again.returncode == 0 and "measured at every size already" in again.stderr
    assert path.read_bytes() == before


def test_benchmark_parity_of_refuses_a_file_of_another_graph(tmp_path):
    """A results file whose graph the generator no longer gives (another version, another seed)
    is refused with both counts named, and the file is not touched."""
    report = {"seed": 1, "inject": 1, "timeout_s": 2, "sizes": {"40": {
        "triples": 12345, "injected": 5, "parity_full": "not measured", "caps": {"validate_timeout_s": 10}}}}
    path = tmp_path / "r.json"
    path.write_text(json.dumps(report))
    before = path.read_bytes()
    q = _bench("--parity-of", str(path))
    assert q.returncode != 0
    assert str(path) in q.stderr and "12345" in q.stderr and "not the graph that was timed" in q.stderr
    assert path.read_bytes() == before


@pytest.mark.slow
def test_benchmark_reference_parity_is_pyshacl_with_each_text_parsed_once():
    """The benchmark's untimed parity run at full size (cached_sparql_parses) must report what
    pyshacl's defaults report, parse each SPARQL constraint's text once, and leave rdflib as it was."""
    import importlib.util

    import pyshacl
    import rdflib
    from rdflib.plugins.sparql import processor

    spec = importlib.util.spec_from_file_location("fkgraph_benchmark", ROOT / "benchmarks" / "run.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    records, injected = synth.generate(40, 5, 1)
    data = rdflib.Graph().parse(data=graph.build(records, base=bench.BASE).store.dump(
        format=pyoxigraph.RdfFormat.N_TRIPLES, from_graph=pyoxigraph.DefaultGraph()).decode(), format="nt")
    shapes = rdflib.Graph().parse(bench.SHAPES)
    ontology = rdflib.Graph().parse(bench.ONTOLOGY)
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")

    def keys():
        rep = pyshacl.validate(data, shacl_graph=shapes, ont_graph=ontology)[1]
        return sorted((str(rep.value(r, sh.focusNode)), str(rep.value(r, sh.sourceShape)))
                      for r in rep.subjects(rdflib.RDF.type, sh.ValidationResult))

    plain = keys()
    parses = []
    real_parse = processor.parseQuery
    original = processor.SPARQLProcessor.query
    processor.parseQuery = lambda text: parses.append(text) or real_parse(text)
    try:
        with bench.cached_sparql_parses():
            cached = keys()
    finally:
        processor.parseQuery = real_parse
    assert processor.SPARQLProcessor.query is original
    assert len(injected) >= 5 and len(plain) >= len(injected)
    assert cached == plain
    assert parses and len(parses) == len(set(parses))   # every text parsed once, however many trials
    assert len(set(parses)) <= len(list(shapes.subjects(sh.select, None)))


def test_benchmark_injected_missed_names_each_violation_no_result_reports():
    """The full-size check that every injected violation is reported: by trial and by the shape
    that must catch it, so a result from another shape at the same trial does not count."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("fkgraph_benchmark", ROOT / "benchmarks" / "run.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    injected = synth.generate(40, 5, 1)[1]
    fsh = "https://w3id.org/fkgraph/shapes#"
    results = [dict(focus=bench.BASE + f"id/trial/frikommune-ii/{v.trial}", source_shape=fsh + synth.CAUGHT_BY[v.kind])
               for v in injected]
    assert bench.injected_missed(injected, results) == []
    first = injected[0]
    wrong_shape = [r | {"source_shape": fsh + "SomeOtherShape"} if i == 0 else r for i, r in enumerate(results)]
    assert bench.injected_missed(injected, wrong_shape) == [f"{first.kind}: {first.trial}"]
    assert len(bench.injected_missed(injected, [])) == len(injected)
