"""Conformance suite for ontology/shapes.ttl, in the style of the W3C SHACL test suite.

Each fixture in valid/ and invalid/ is Turtle: the data it adds to context.ttl (a small valid
world) and, on the node fkt:test, what validation must report: `sh:conforms true`, or
`sh:conforms false` with one `fkt:expect [ sh:focusNode …; sh:sourceShape …;
sh:sourceConstraintComponent …; sh:resultPath …; sh:value … ]` per expected result. The full
result set is compared: nothing missing, nothing extra. Every fixture runs through pyshacl (the
reference) and every other engine of ENGINES below ("fast": fkgraph.scale.engine), which
must agree with it exactly.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib import RDF, Namespace
from rdflib.util import from_n3

from fkgraph import api
from fkgraph.rdf.store import label
from fkgraph.rdf.terms import term
from fkgraph.scale.engine import run_shacl
from fkgraph.shacl import engine as shacl_engine
from fkgraph.shacl.report import SH, Report

#: The engines by name, as api.validate picks them
ENGINES = {"pyshacl": "pyshacl", "fast": run_shacl}


def validate(target, shapes, ontology, engine: str) -> Report:
    return shacl_engine.validate(target, shapes, ontology, engine=ENGINES.get(engine, engine), name=engine)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SHAPES = ROOT / "ontology" / "shapes.ttl"
ONTOLOGY = ROOT / "ontology" / "fk.ttl"
FKT = Namespace("https://w3id.org/fkgraph/tests#")
SHN = Namespace(SH)
FKSH = "https://w3id.org/fkgraph/shapes#"

VALID = sorted((HERE / "valid").glob("*.ttl"))
INVALID = sorted((HERE / "invalid").glob("*.ttl"))


def _closure(g: rdflib.Graph, node) -> set:
    """A node and every blank node reachable from it (its manifest description)."""
    seen, todo = set(), [node]
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        todo += [o for o in g.objects(n, None) if isinstance(o, rdflib.BNode)]
    return seen


def load_fixture(path: Path) -> tuple[ox.Store, dict]:
    """The fixture's data plus context.ttl in a store, and its manifest."""
    g = rdflib.Graph().parse(path, format="turtle")
    manifest = {"comment": str(g.value(FKT.test, rdflib.RDFS.comment) or ""),
                "conforms": g.value(FKT.test, SHN.conforms).toPython(), "expect": []}
    for e in g.objects(FKT.test, FKT.expect):
        path_node = g.value(e, SHN.resultPath)
        if isinstance(path_node, rdflib.BNode):  # a complex path: compare as "kind of path + predicate"
            path_node = ("oneOrMore", str(g.value(path_node, SHN.oneOrMorePath)))
        manifest["expect"].append({
            "focus": str(g.value(e, SHN.focusNode)), "shape": str(g.value(e, SHN.sourceShape)),
            "component": str(g.value(e, SHN.sourceConstraintComponent)),
            "path": path_node if isinstance(path_node, tuple) else str(path_node or ""),
            "value": g.value(e, SHN.value)})
    for n in _closure(g, FKT.test):
        g.remove((n, None, None))
    g.parse(HERE / "context.ttl", format="turtle")
    store = ox.Store()
    store.load(g.serialize(format="nt").encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
    return store, manifest


_SHAPES_G = None


def shapes_graph() -> rdflib.Graph:
    global _SHAPES_G
    if _SHAPES_G is None:
        _SHAPES_G = rdflib.Graph().parse(SHAPES, format="turtle")
    return _SHAPES_G


def _bnode_path(result) -> str:
    """The predicate of a sh:oneOrMorePath on the result's source shape."""
    g = shapes_graph()
    p = g.value(rdflib.URIRef(result.source_shape), SHN.path)
    inner = g.value(p, SHN.oneOrMorePath) if p is not None else None
    return str(inner) if inner is not None else result.path


def _same_term(n3: str, want) -> bool:
    """Term equality; literals by value, as the store may canonicalise them ("11.0" → "11")."""
    got = from_n3(n3)
    if isinstance(want, rdflib.Literal) and isinstance(got, rdflib.Literal):
        return got == want or (got.datatype == want.datatype and got.eq(want))
    return got == want


def result_keys(report: Report) -> list[tuple]:
    return sorted((r.focus, r.source_shape, r.component,
                   ("oneOrMore", _bnode_path(r)) if r.path.startswith("_:") else r.path)
                  for r in report.results)


def expected_keys(manifest: dict) -> list[tuple]:
    return sorted((e["focus"], e["shape"], e["component"], e["path"]) for e in manifest["expect"])


_REPORTS: dict = {}


def report_for(path: Path, engine: str) -> Report:
    """Each fixture is validated once per engine per session."""
    if (path, engine) not in _REPORTS:
        store, _ = load_fixture(path)
        _REPORTS[path, engine] = validate(store, SHAPES, ONTOLOGY, engine=engine)
    return _REPORTS[path, engine]


@pytest.fixture(scope="module", params=sorted(ENGINES))
def engine(request):
    return request.param


@pytest.mark.parametrize("path", VALID, ids=lambda p: f"valid/{p.stem}")
def test_valid_fixture_conforms(path, engine):
    store, manifest = load_fixture(path)
    assert manifest["conforms"] is True, f"{path.name}: a valid fixture says sh:conforms true"
    report = report_for(path, engine)
    assert report.conforms and not report.results, report.text()


@pytest.mark.parametrize("path", INVALID, ids=lambda p: f"invalid/{p.stem}")
def test_invalid_fixture_yields_exactly_its_results(path, engine):
    store, manifest = load_fixture(path)
    assert manifest["conforms"] is False and manifest["expect"], f"{path.name}: list the expected results"
    report = report_for(path, engine)
    assert not report.conforms
    assert result_keys(report) == expected_keys(manifest), report.text()
    for e in manifest["expect"]:
        if e["value"] is None:
            continue
        want = e["value"]
        assert any(r.focus == e["focus"] and r.source_shape == e["shape"] and _same_term(r.value_n3, want)
                   for r in report.results), f"{path.name}: no result on {e['focus']} with value {want}\n{report.text()}"
    for r in report.results:
        assert r.message and r.message_da, f"{path.name}: result without English and Danish message: {r}"


@pytest.mark.parametrize("path", INVALID + VALID, ids=lambda p: p.stem)
def test_engines_agree(path):
    """The fast engine gives pyshacl's results, messages included."""
    reports = {name: report_for(path, name) for name in sorted(ENGINES)}
    first, *rest = reports.values()
    for other in rest:
        assert [(r.focus, r.path if not r.path.startswith("_:") else "", r.component, r.value, r.severity,
                 r.source_shape, r.message, r.message_da) for r in first.results] == \
               [(r.focus, r.path if not r.path.startswith("_:") else "", r.component, r.value, r.severity,
                 r.source_shape, r.message, r.message_da) for r in other.results]


# ---- coverage of the shapes by the fixtures -------------------------------------------------------

def all_shapes() -> list[str]:
    g = shapes_graph()
    found = set()
    for cls in (SHN.NodeShape, SHN.PropertyShape):
        found |= {str(s) for s in g.subjects(RDF.type, cls) if isinstance(s, rdflib.URIRef)}
    return sorted(found)


def test_every_shape_has_an_invalid_fixture():
    covered = set()
    for path in INVALID:
        covered |= {e["shape"] for e in load_fixture(path)[1]["expect"]}
    missing = [s for s in all_shapes() if s not in covered]
    assert not missing, f"shapes without an invalid fixture: {missing}"
    unknown = covered - set(all_shapes())
    assert not unknown, f"fixtures name shapes that do not exist: {unknown}"


def test_every_shape_is_exercised_by_a_valid_fixture():
    """Each shape's focus nodes occur in the valid fixtures (so a valid case exists for it)."""
    g = shapes_graph()
    data = rdflib.Graph()
    for path in VALID:
        store, _ = load_fixture(path)
        data.parse(data=store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()).decode(), format="nt")
    classes = {o for o in data.objects(None, RDF.type)}
    owners: dict[str, set] = {}
    for s in g.subjects(RDF.type, SHN.NodeShape):
        targets = set(g.objects(s, SHN.targetClass))
        owners.setdefault(str(s), set()).update(targets)
        for p in g.objects(s, SHN.property):
            owners.setdefault(str(p), set()).update(targets)
    for shape in all_shapes():
        assert owners.get(shape) and owners[shape] & classes, f"{shape}: no valid fixture has a focus node for it"


def test_every_shape_has_messages_in_english_and_danish():
    g = shapes_graph()
    for shape in all_shapes():
        langs = {m.language for m in g.objects(rdflib.URIRef(shape), SHN.message)}
        assert {"en", "da"} <= langs, f"{shape}: sh:message needs @en and @da, has {langs}"
    for constraint in g.objects(None, SHN.sparql):
        langs = {m.language for m in g.objects(constraint, SHN.message)}
        assert {"en", "da"} <= langs, "every SPARQL constraint needs sh:message @en and @da"


def test_sparql_constraints_bind_this_to_the_target_class():
    """The fast engine runs each SELECT once with $this unbound; each must join $this to its target."""
    g = shapes_graph()
    for shape, constraint in g.subject_objects(SHN.sparql):
        select = str(g.value(constraint, SHN.select))
        targets = list(g.objects(shape, SHN.targetClass))
        assert targets, f"{shape}: SPARQL shapes target a class"
        for cls in targets:
            curie = g.namespace_manager.normalizeUri(cls)
            assert f"$this a {curie}" in select, f"{shape}: the query binds `$this a {curie}` in its outer group"
        assert not re.search(r"\bVALUES\b", select, re.I), f"{shape}: SHACL forbids VALUES in SPARQL constraints"


# ---- the real data ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def real():
    return api.build(ROOT)


def test_real_data_conforms_with_both_engines(real):
    reports = {name: validate(real, SHAPES, ONTOLOGY, engine=name) for name in sorted(ENGINES)}
    for name, report in reports.items():
        assert report.conforms, f"{name}:\n{report.text()}"
    keys = [sorted(r.key() for r in rep.results) for rep in reports.values()]
    assert all(k == keys[0] for k in keys)


def test_removing_a_member_names_the_trial_and_the_municipality(real):
    """Issue 5, must show: drop a municipality from its network's members → the trial and municipality are named."""
    store = ox.Store()
    store.extend(real.store.quads_for_pattern(None, None, None, None))
    sol = next(iter(store.query(
        "PREFIX fk: <https://w3id.org/fkgraph/ontology#> PREFIX org: <http://www.w3.org/ns/org#> "
        "SELECT ?trial ?municipality ?network WHERE { ?trial fk:municipality ?municipality ; fk:network ?network . "
        "?network org:hasMember ?municipality } ORDER BY ?trial ?municipality LIMIT 1")))
    store.remove(ox.Quad(sol["network"], term("org:hasMember"), sol["municipality"], ox.DefaultGraph()))
    report = validate(store, SHAPES, ONTOLOGY, engine="fast")
    assert not report.conforms
    hits = [r for r in report.results if r.source_shape == FKSH + "TrialMunicipalitiesInNetwork"]
    assert any(r.focus == sol["trial"].value and r.value == sol["municipality"].value for r in hits), report.text()
    text = report.text()
    assert sol["trial"].value in text and sol["municipality"].value in text
    muni_name = label(store, sol["municipality"])
    assert muni_name and muni_name in text


def test_validate_reports_render_in_every_format(real):
    store = ox.Store()
    store.extend(real.store.quads_for_pattern(None, None, None, None))
    trial = next(iter(store.quads_for_pattern(None, term("fk:status"), None, None)))
    store.remove(trial)
    report = validate(real.__class__(store=store, records=real.records, base=real.base), SHAPES, ONTOLOGY, engine="fast")
    assert not report.conforms
    text = report.text()
    assert trial.subject.value in text and "fksh:TrialStatusRequired" in text
    assert ".yaml:" in text, "the text report names the YAML record (file:line)"
    # Turtle: a SHACL validation report that parses and says what the results say
    g = rdflib.Graph().parse(data=report.turtle(), format="turtle")
    assert (None, SHN.conforms, rdflib.Literal(False)) in g
    assert len(list(g.subjects(RDF.type, SHN.ValidationResult))) == len(report.results)
    # JUnit: one test case per shape, a failure for the failing one
    import xml.etree.ElementTree as ET
    root = ET.fromstring(report.junit())
    cases = root.findall(".//testcase")
    assert len(cases) == len(all_shapes())
    failed = [c.get("name") for c in cases if c.find("failure") is not None]
    assert failed == ["fksh:TrialStatusRequired"]
    import json
    data = json.loads(report.json())
    assert data["conforms"] is False and data["results"][0]["source_shape"].endswith("TrialStatusRequired")
    with pytest.raises(ValueError):
        report.render("yaml")


def test_a_cached_build_finds_the_records_only_when_asked(tmp_path, monkeypatch, real):
    """Origins come from the mapping itself; a build loaded from the cache maps its records again
    only when a report asks where a node came from."""
    monkeypatch.setenv("FKGRAPH_CACHE", str(tmp_path))
    api.build(ROOT)
    cached = api.build(ROOT)
    assert list(tmp_path.glob("build-*.nt")) and cached._origins is None and callable(cached._records)
    assert cached.origins == real.origins and len(real.origins) > 100
    trial = next(iri for iri in real.origins if "/id/trial/" in iri)
    file, line, fields = real.origins[trial]
    assert file.startswith("data/") and file.endswith(".yaml") and line > 1 and fields.get("status", 0) > line
    assert real.origin(trial) == f"{file}:{line}" and real.origin("http://example.org/none") == ""


def test_unknown_engine_is_refused(real):
    with pytest.raises(ValueError, match="unknown validation engine"):
        validate(real, SHAPES, ONTOLOGY, engine="nope")


@pytest.mark.skipif(shutil.which("pre-commit") is None, reason="pre-commit not installed")
def test_pre_commit_hook_file_is_valid():
    out = subprocess.run(["pre-commit", "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_pre_commit_hook_and_ci_workflow_are_well_formed():
    import yaml
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert isinstance(hooks, list) and hooks
    for h in hooks:
        assert {"id", "name", "entry", "language"} <= set(h)
        assert h["entry"].split()[:2] in (["fkgraph", "check"], ["fkgraph", "validate"])
    wf = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8"))
    steps = [s for job in wf["jobs"].values() for s in job["steps"]]
    assert any("python -m pytest" in str(s.get("run", "")) for s in steps)
