"""The fast engine (the `shacl` package via fkgraph.scale.engine) reports exactly what pyshacl reports.

Parity is by focus node, path, constraint component and source shape (a blank-node source shape
or a complex path by a key that does not depend on blank-node labels: fkgraph.scale.engine.result_keys),
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

from fkgraph.scale import engine as engines
from fkgraph.rdf import mapping
from fkgraph.scale import synth

validate_mod = importlib.import_module("fkgraph.shacl.engine")
ROOT = Path(__file__).resolve().parents[1]
SHAPES = ROOT / "ontology" / "shapes.ttl"
ONTOLOGY = ROOT / "ontology" / "fk.ttl"
FIXTURES = sorted((ROOT / "tests" / "shapes" / "valid").glob("*.ttl")) + sorted((ROOT / "tests" / "shapes" / "invalid").glob("*.ttl"))
FKSH = "https://w3id.org/fkgraph/shapes#"
ENGINES = {"pyshacl": "pyshacl", "fast": engines.run_shacl}  # as api.validate picks them by name
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")


@pytest.fixture(scope="module")
def shapes_g():
    return rdflib.Graph().parse(SHAPES, format="turtle")


def both(target, shapes_g):
    reports = {e: validate_mod.validate(target, SHAPES, ONTOLOGY, engine=ENGINES[e], name=e) for e in ("pyshacl", "fast")}
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
    return mapping.build(records), injected


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
    built = mapping.build(synth.generate(40, seed=5)[0])
    reports, keys = both(built, shapes_g)
    assert reports["fast"].conforms and reports["pyshacl"].conforms, reports["fast"].text()
    assert keys["fast"] == keys["pyshacl"] == []


def test_date_comparison_is_not_lost(shapes_g):
    """shacl 0.3.4 never finds `?a > ?b` true for two xsd:date literals; the adapter runs SPARQL
    constraints on oxigraph, so a start date after the programme's end is still reported."""
    records, injected = synth.generate(30, seed=2, inject=1)
    built = mapping.build(records)
    report = validate_mod.validate(built, SHAPES, ONTOLOGY, engine=engines.run_shacl)
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


INSTANCE_DATA = b"""@prefix ex: <http://example.org/> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:Sub rdfs:subClassOf ex:B . ex:SubSub rdfs:subClassOf ex:Sub .
ex:t1 a ex:T ; ex:p ex:a , ex:b , ex:c , ex:none , "lit" , _:x , ex:both .
ex:t2 a ex:T .
ex:a a ex:A . ex:b a ex:Sub . ex:c a ex:SubSub . _:x a ex:A . ex:both a ex:A , ex:B .
ex:none ex:q ex:A ."""


@pytest.mark.parametrize("form", ["class", "instance-path"])
def test_instance_path_is_sh_class(form):
    """ontology/shapes.ttl writes `[ sh:class C ]` inside sh:or as `[ sh:path ( rdf:type
    [ sh:zeroOrMorePath rdfs:subClassOf ] ) ; sh:hasValue C ]` (linear in `shacl` 0.3.4): both
    engines give that form exactly the results of sh:class, on direct and subclass instances,
    untyped IRIs, literals and blank nodes, inside sh:or and as a node-level sh:or member."""
    import pyoxigraph as ox

    inst = "[ sh:path ( rdf:type [ sh:zeroOrMorePath rdfs:subClassOf ] ) ; sh:hasValue ex:{} ]"
    member = {"class": "[ sh:class ex:{} ]", "instance-path": inst}[form]
    nested = {"class": "sh:class ex:A", "instance-path": "sh:property " + inst.format("A")}[form]
    ttl = f"""@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
    @prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
    ex:S a sh:NodeShape ; sh:targetClass ex:T ;
        sh:property ex:S-p ;
        sh:or ( [ sh:path ex:p ; {nested} ] [ sh:path ex:p ; sh:maxCount 0 ] ) .
    ex:S-p a sh:PropertyShape ; sh:path ex:p ; sh:or ( {member.format("A")} {member.format("B")} ) .
    ex:Q a sh:NodeShape ; sh:targetClass ex:T ; sh:property [ sh:path ex:p ;
        sh:qualifiedValueShape {member.format("B")} ; sh:qualifiedMinCount 3 ] ."""
    shapes = rdflib.Graph().parse(data=ttl, format="turtle")
    store = ox.Store()
    store.load(INSTANCE_DATA, format=ox.RdfFormat.TURTLE)
    key = lambda rows: sorted((str(r["focus"]), str(r["component"]).rsplit("#")[-1], str(r.get("value")),
                               engines.shape_key(shapes, r["source_shape"]).split("|")[0]) for r in rows
                              if not isinstance(r.get("value"), rdflib.BNode))
    fast, ref = engines.run_shacl(store, shapes), validate_mod.ENGINES["pyshacl"](store, shapes, None)
    assert key(fast) == key(ref) == [
        # ex:none (untyped) and "lit" are instances of neither class; ex:b, ex:c (through two
        # rdfs:subClassOf) and the blank node are
        ("http://example.org/t1", "OrConstraintComponent", "http://example.org/none", "http://example.org/S-p"),
        ("http://example.org/t1", "OrConstraintComponent", "http://example.org/t1", "http://example.org/S"),
        ("http://example.org/t1", "OrConstraintComponent", "lit", "http://example.org/S-p"),
        # three values of t1 are instances of ex:B (ex:b, ex:c, ex:both), none of t2
        ("http://example.org/t2", "QualifiedMinCountConstraintComponent", "None", "http://example.org/Q"),
    ]


def test_types_this_recognises_only_a_leading_type_triple():
    """The SPARQL join leaves out its own `?this a <target>` when the query starts with it."""
    declared = {"fk": "https://w3id.org/fkgraph/ontology#", "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#"}
    trial = "https://w3id.org/fkgraph/ontology#Trial"
    assert engines.types_this("SELECT $this WHERE {\n  $this a fk:Trial ; fk:p ?x . }", trial, declared)
    assert engines.types_this("select ?this where { ?this rdf:type <%s> . }" % trial, trial, declared)
    assert not engines.types_this("SELECT $this WHERE { $this a fk:Network . }", trial, declared)
    assert not engines.types_this("SELECT $this WHERE { OPTIONAL { $this a fk:Trial . } }", trial, declared)
    assert not engines.types_this("SELECT $this WHERE { $this a fk:Trial , fk:Other . }", trial, declared)
    assert not engines.types_this("SELECT $this WHERE { $this a x:Trial . }", trial, declared)
