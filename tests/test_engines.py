"""The fast engine (the `shacl` package via fkgraph.engines) reports exactly what pyshacl reports.

Parity is by focus node, path, constraint component and source shape (a blank-node source shape
or a complex path by a key that does not depend on blank-node labels: fkgraph.engines.result_keys),
over every fixture of the shapes test suite in tests/shapes/ and over synthetic graphs with
injected violations of every kind.
"""
from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest
import rdflib

pytest.importorskip("shacl", reason="the fast engine is the optional extra `fast`")

from fkgraph import engines, graph, synth  # noqa: E402

validate_mod = importlib.import_module("fkgraph.validate")
ROOT = Path(__file__).resolve().parents[1]
SHAPES = ROOT / "ontology" / "shapes.ttl"
ONTOLOGY = ROOT / "ontology" / "fk.ttl"
FIXTURES = sorted((ROOT / "tests" / "shapes" / "valid").glob("*.ttl")) + sorted((ROOT / "tests" / "shapes" / "invalid").glob("*.ttl"))
FKSH = "https://w3id.org/fkgraph/shapes#"
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")


@pytest.fixture(scope="module")
def shapes_g():
    return rdflib.Graph().parse(SHAPES, format="turtle")


def both(target, shapes_g):
    reports = {e: validate_mod.validate(target, SHAPES, ONTOLOGY, engine=e) for e in ("pyshacl", "fast")}
    return reports, {e: engines.result_keys(r, shapes_g) for e, r in reports.items()}


@pytest.mark.skipif(not FIXTURES, reason="no shapes test suite fixtures yet")
@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_fixture_parity(path, shapes_g):
    sys.path.insert(0, str(path.parents[1]))
    try:
        from shapes.test_shapes import load_fixture  # tests/shapes/test_shapes.py
    except ImportError:
        from test_shapes import load_fixture
    store, manifest = load_fixture(path)
    reports, keys = both(store, shapes_g)
    assert keys["fast"] == keys["pyshacl"], reports["fast"].text()
    assert reports["fast"].conforms == reports["pyshacl"].conforms == manifest["conforms"]


@pytest.fixture(scope="module")
def injected_graph():
    records, injected = synth.generate(60, seed=11, inject=1)
    return graph.build(records), injected


def test_synthetic_parity_and_every_injected_violation_found(injected_graph, shapes_g):
    built, injected = injected_graph
    assert {v.kind for v in injected} == set(synth.VIOLATIONS)
    reports, keys = both(built, shapes_g)
    assert keys["fast"] == keys["pyshacl"], reports["fast"].text()
    fast = reports["fast"]
    found = {(r.focus, r.source_shape) for r in fast.results}
    for v in injected:
        trial = f"{built.base}id/trial/frikommune-ii/{v.trial}"
        assert (trial, FKSH + synth.CAUGHT_BY[v.kind]) in found, f"{v} not reported:\n{fast.text()}"
    # nothing else: every result is about an injected trial (or an exemption of it)
    broken = {f"{built.base}id/trial/frikommune-ii/{v.trial}" for v in injected}
    broken_ex = {f"{built.base}id/exemption/frikommune-ii/{v.trial}/" for v in injected}
    for r in fast.results:
        assert r.focus in broken or any(r.focus.startswith(p) for p in broken_ex), r
    # the messages come in both languages, as pyshacl's do
    assert [(r.message, r.message_da) for r in fast.results] == [(r.message, r.message_da) for r in reports["pyshacl"].results]


def test_clean_synthetic_graph_conforms_on_both(shapes_g):
    built = graph.build(synth.generate(40, seed=5)[0])
    reports, keys = both(built, shapes_g)
    assert reports["fast"].conforms and reports["pyshacl"].conforms, reports["fast"].text()
    assert keys["fast"] == keys["pyshacl"] == []


def test_date_comparison_is_not_lost(shapes_g):
    """shacl 0.3.4 never finds `?a > ?b` true for two xsd:date literals; the adapter runs SPARQL
    constraints on oxigraph, so a start date after the programme's end is still reported."""
    records, injected = synth.generate(30, seed=2, inject=1)
    built = graph.build(records)
    report = validate_mod.validate(built, SHAPES, ONTOLOGY, engine="fast")
    hits = [r for r in report.results if r.source_shape == FKSH + "TrialStartInProgrammePeriod"]
    assert [h.value for h in hits] == ["2031-01-01"]


def test_blank_node_source_shape_keys_are_stable(shapes_g):
    """A nested property shape (a blank node) is keyed by root shape, path and parameters, the
    same in two separate parses; the fast engine maps shacl's blank node back to ours."""
    ttl = """@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
    ex:S a sh:NodeShape ; sh:targetClass ex:T ;
        sh:property [ sh:path ex:p ; sh:minCount 1 ] , [ sh:path ( ex:q ex:r ) ; sh:maxCount 0 ] ."""
    g1 = rdflib.Graph().parse(data=ttl, format="turtle")
    g2 = rdflib.Graph().parse(data=ttl, format="turtle")
    k1 = sorted(engines.shape_key(g1, b) for b in g1.objects(None, SH.property))
    k2 = sorted(engines.shape_key(g2, b) for b in g2.objects(None, SH.property))
    assert k1 == k2 == ["http://example.org/S|(<http://example.org/q>/<http://example.org/r>)|maxCount",
                        "http://example.org/S|<http://example.org/p>|minCount"]
    import pyoxigraph as ox
    store = ox.Store()
    store.load(b"<http://example.org/a> a <http://example.org/T> ; <http://example.org/q> <http://example.org/b> . "
               b"<http://example.org/b> <http://example.org/r> <http://example.org/c> .", format=ox.RdfFormat.TURTLE)
    fast = engines.run_shacl(store, g1)
    ref = validate_mod.ENGINES["pyshacl"](store, g1, None)
    key = lambda rows: sorted((str(r["focus"]), str(r["component"]), engines.shape_key(g1, r["source_shape"])) for r in rows)
    assert key(fast) == key(ref) and len(fast) == 2
    assert all(r["source_shape"] in set(g1.objects(None, SH.property)) for r in fast)


def test_missing_package_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "shacl", None)
    with pytest.raises(engines.EngineUnavailable, match=r"extra `fast`.*fkgraph\[fast\]"):
        engines.shacl_module()


def test_cli_engine_option(tmp_path):
    from click.testing import CliRunner
    from fkgraph.cli import cli

    out = tmp_path / "s.nt"
    res = CliRunner().invoke(cli, ["synth", "--trials", "30", "--seed", "2", "--inject", "1", "--output", str(out)])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(cli, ["validate", "--engine", "fast", "--format", "json", str(out)])
    assert res.exit_code == 1, res.output
    import json
    shapes = {r["source_shape"].rsplit("#", 1)[-1] for r in json.loads(res.output)["results"]}
    assert set(synth.CAUGHT_BY.values()) <= shapes
