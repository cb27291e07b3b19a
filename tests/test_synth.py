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

from fkgraph.rdf import mapping
from fkgraph.scale import synth
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
    built = mapping.build(records)
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
    figures as they were; a file from before sizes kept their own caps is read with the run's."""
    p, out = smoke
    assert p.returncode == 0, p.stderr[-2000:]
    report = json.loads(out.read_text())
    size = report["sizes"]["1000"]
    size["parity_full"] = "not measured: pyshacl took > 10 s"
    del size["injected_missed"], size["caps"]
    path = tmp_path / "r.json"
    path.write_text(json.dumps(report))
    q = _bench("--parity-of", str(path), "--parity-timeout", "500")
    assert q.returncode == 0, q.stdout[-2000:] + q.stderr[-2000:]
    done = json.loads(path.read_text())
    after = done["sizes"]["1000"]
    n = size["fast_results"]
    assert after["parity_full"].startswith(f"identical: {n} fast vs {n} results of pyshacl with cached SPARQL parses")
    assert after["parity_full"].endswith(f"(its defaults > {report['validate_timeout_s']:g} s)")
    assert after["parity_full_run"]["parity_timeout_s"] == 500
    assert after["injected_missed"] == [] and size["injected"] >= 12   # every injected one reported
    assert after["fkgraph"]["steps"] == size["fkgraph"]["steps"]
    assert after["baseline"]["steps"] == size["baseline"]["steps"]
    stored = {t["target"]: t["met"] for t in done["targets"]}
    assert stored["the same violations as pyshacl on the full graph"] is True
    assert "met     the same violations as pyshacl" in q.stdout

    # parity measured, the injected check missing: only the fast engine runs again
    del after["injected_missed"]
    path.write_text(json.dumps(done))
    q = _bench("--parity-of", str(path), "--parity-timeout", "0")
    assert q.returncode == 0, q.stderr[-2000:]
    assert "pyshacl with cached SPARQL parses:" not in q.stderr
    again = json.loads(path.read_text())["sizes"]["1000"]
    assert again["injected_missed"] == []
    assert again["parity_full"] == after["parity_full"] and again["parity_full_run"] == after["parity_full_run"]

    # measured now: a further call has nothing to do and leaves the file as it is
    before = path.read_bytes()
    q = _bench("--parity-of", str(path))
    assert q.returncode == 0 and "measured at every size already" in q.stderr
    assert path.read_bytes() == before


def _results_file(tmp_path, sizes: dict) -> Path:
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"seed": 1, "inject": 1, "timeout_s": 2, "validate_timeout_s": 10, "sizes": {
        str(n): {"parity_full": "not measured", **e} for n, e in sizes.items()}}))
    return path


@pytest.mark.slow
def test_benchmark_parity_of_refuses_a_file_of_another_graph_before_writing_anything(tmp_path):
    """A results file whose graph the generator no longer gives (another generator version) is
    refused with both counts named; a size before it that checks out is not written either."""
    _, triples, injected = synth.write(tmp_path / "g.nt", 40, 1, 1, base="https://w3id.org/fkgraph/")
    path = _results_file(tmp_path, {40: {"triples": triples, "injected": len(injected)},
                                    41: {"triples": 12345, "injected": 5}})
    before = path.read_bytes()
    q = _bench("--parity-of", str(path), "--parity-timeout", "60")
    assert q.returncode != 0
    assert str(path) in q.stderr and "12345" in q.stderr and "not the graph that was timed" in q.stderr
    assert "[40] fast engine" in q.stderr      # the first size was checked, and still nothing written
    assert path.read_bytes() == before


@pytest.mark.slow
def test_benchmark_parity_of_refuses_other_code_than_was_timed(tmp_path):
    """The same graph, but the fast engine now reports another number of results than the timed
    run recorded: refused, naming both numbers; and a reference run without a cap is refused."""
    pytest.importorskip("shacl")
    _, triples, injected = synth.write(tmp_path / "g.nt", 40, 1, 1, base="https://w3id.org/fkgraph/")
    path = _results_file(tmp_path, {40: {"triples": triples, "injected": len(injected), "fast_results": 999}})
    before = path.read_bytes()
    q = _bench("--parity-of", str(path), "--parity-timeout", "60")
    assert q.returncode != 0 and "999" in q.stderr and "not the code that was timed" in q.stderr
    q = _bench("--parity-of", str(path), "--parity-timeout", "0")
    assert q.returncode != 0 and "--parity-timeout SECONDS" in q.stderr
    assert path.read_bytes() == before


@pytest.mark.slow
def test_benchmark_reference_parity_is_pyshacl_with_each_text_parsed_once():
    """The benchmark's untimed parity run at full size (cached_sparql_parses, plain_iri_messages)
    must report what pyshacl's defaults report, parse each SPARQL constraint's text once, and
    leave rdflib as it was."""
    import importlib.util

    import pyshacl
    import rdflib
    from rdflib.plugins.sparql import processor

    spec = importlib.util.spec_from_file_location("fkgraph_benchmark", ROOT / "benchmarks" / "run.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    records, injected = synth.generate(40, 5, 1)
    data = rdflib.Graph().parse(data=mapping.build(records, base=bench.BASE).store.dump(
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
    normalize = rdflib.namespace.NamespaceManager.normalizeUri
    try:
        with bench.cached_sparql_parses(), bench.plain_iri_messages():
            cached = keys()
            assert data.namespace_manager.normalizeUri(rdflib.URIRef(str(sh.Violation))) == f"<{sh.Violation}>"
    finally:
        processor.parseQuery = real_parse
    assert processor.SPARQLProcessor.query is original
    assert rdflib.namespace.NamespaceManager.normalizeUri is normalize
    assert data.namespace_manager.normalizeUri(rdflib.URIRef(str(sh.Violation))) == "sh:Violation"
    assert len(injected) >= 5 and len(plain) >= len(injected)
    assert cached == plain
    assert parses and len(parses) == len(set(parses))   # every text parsed once, however many trials
    assert len(set(parses)) <= len(list(shapes.subjects(sh.select, None)))


@pytest.mark.slow
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


@pytest.mark.slow
def test_benchmark_injected_missed_is_empty_on_what_the_fast_engine_reports():
    """Against the real engine's results on a graph with every kind injected: none missed, so
    the IRIs injected_missed looks for are the ones validation reports."""
    pytest.importorskip("shacl")
    import importlib.util

    from fkgraph.scale.engine import run_shacl
    from fkgraph.shacl.engine import validate

    spec = importlib.util.spec_from_file_location("fkgraph_benchmark", ROOT / "benchmarks" / "run.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    records, injected = synth.generate(40, 1, 1)
    rep = validate(mapping.build(records, base=bench.BASE), bench.SHAPES, bench.ONTOLOGY, engine=run_shacl)
    results = [dict(focus=r.focus, source_shape=r.source_shape) for r in rep.results]
    assert len(injected) >= 6 and bench.injected_missed(injected, results) == []
