"""Dumps (Turtle, N-Triples, JSON-LD, gzip), DCAT-AP 3 and VoID (issue 9), on the real data."""
from __future__ import annotations

import gzip
import hashlib
import importlib
import json
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from click.testing import CliRunner
from rdflib.compare import isomorphic

from fkgraph import api, fsio
from fkgraph.cli import cli

from conftest import ROOT, external

export = importlib.import_module("fkgraph.rdf.serialize")
ROOT = Path(__file__).resolve().parents[1]
catalog = importlib.import_module("fkgraph.publishing.catalog")
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
DCT = rdflib.Namespace("http://purl.org/dc/terms/")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
SPDX = rdflib.Namespace("http://spdx.org/rdf/terms#")
OX_FORMAT = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES, "jsonld": ox.RdfFormat.JSON_LD}
RDFLIB_FORMAT = {"turtle": "turtle", "ntriples": "nt", "jsonld": "json-ld"}


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def as_rdflib(store: ox.Store) -> rdflib.Graph:
    return rdflib.Graph().parse(data=store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()).decode(), format="nt")


def oxigraph_to_rdflib(triples) -> rdflib.Graph:
    return rdflib.Graph().parse(data=export.ntriples(list(triples)).decode(), format="nt")


@pytest.fixture(scope="module")
def reference(built) -> rdflib.Graph:
    return as_rdflib(built.store)


@pytest.fixture(scope="module")
def published(built, tmp_path_factory):
    out = tmp_path_factory.mktemp("pub")
    return catalog.publish(built.store, out, "https://example.org/fkgraph/", built.base,
                          endpoint="https://example.org/fkgraph/sparql", gzip=True)


# ---- dumps ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["turtle", "ntriples", "jsonld"])
def test_every_export_parses_back_into_the_same_graph_in_rdflib_and_oxigraph(tmp_path, built, reference, fmt):
    path = export.export(built.store, tmp_path / f"g.{export.FORMATS[fmt][0]}", fmt)
    by_rdflib = rdflib.Graph().parse(str(path), format=RDFLIB_FORMAT[fmt])
    assert len(by_rdflib) == len(built)
    assert isomorphic(by_rdflib, reference)
    by_oxigraph = list(ox.parse(path=str(path), format=OX_FORMAT[fmt]))
    assert len(by_oxigraph) == len(built)
    assert isomorphic(oxigraph_to_rdflib(by_oxigraph), reference)


@pytest.mark.parametrize("fmt", ["turtle", "ntriples", "jsonld"])
def test_two_exports_of_the_same_data_are_byte_identical(tmp_path, fmt):
    ext = export.FORMATS[fmt][0]
    a, b = tmp_path / f"a.{ext}", tmp_path / f"b.{ext}"
    for out in (a, b):  # two separate builds, through the command line
        result = run("export", "--format", fmt, "--output", str(out), "--gzip")
        assert result.exit_code == 0, result.output
    ga, gb = Path(f"{a}.gz"), Path(f"{b}.gz")
    assert ga.read_bytes() == gb.read_bytes()
    assert gzip.decompress(ga.read_bytes()) == gzip.decompress(gb.read_bytes())
    assert len(gzip.decompress(ga.read_bytes())) > 100_000


def test_gzip_is_deterministic_no_name_no_mtime(tmp_path, built):
    path = export.export(built.store, tmp_path / "g.nt.gz")
    data = path.read_bytes()
    assert data[:2] == b"\x1f\x8b"
    flags, mtime = data[3], int.from_bytes(data[4:8], "little")
    assert flags & 0x08 == 0, "FNAME flag set: the file name is stored in the gzip header"
    assert mtime == 0
    assert gzip.decompress(data) == export.ntriples(built.store)


def _turtle_layout(text: str):
    """(prefix names, subject lines): the header, and each line that opens a subject's block."""
    lines = text.splitlines()
    prefixes = [l.split()[1] for l in lines if l.startswith("@prefix ")]
    subjects = [l.split(" ", 1)[0] for l in lines if l and not l.startswith(("@prefix ", "\t", " "))]
    return prefixes, subjects


def _in_file_order(data: bytes, fmt=ox.RdfFormat.TURTLE) -> list[str]:
    return [f"{q.subject} {q.predicate} {q.object} ." for q in ox.parse(data, format=fmt)]


@pytest.mark.parametrize("how", ["store", "file"])
def test_turtle_groups_each_subject_once_in_sorted_order_with_prefixes(built, tmp_path, how):
    if how == "store":
        data = export.turtle(built.store)
    else:  # export() lets pyoxigraph write the file itself
        data = export.export(built.store, tmp_path / "g.ttl").read_bytes()
    prefixes, subjects = _turtle_layout(data.decode())
    assert prefixes == sorted(prefixes) and "fk:" in prefixes and "eli:" in prefixes
    assert len(subjects) == len(set(subjects)) == len({q.subject for q in built.store})  # one block each
    triples = _in_file_order(data)
    assert triples == sorted(triples, key=lambda t: t.encode()) and len(triples) == len(built)  # N-Triples byte order
    assert "a fk:Trial ;" in data.decode()  # compacted


def test_a_store_loaded_in_any_order_exports_the_same_bytes(built):
    """The serialisers sort at write time: the export does not depend on the order the triples
    were produced in (records reordered, a cache reloaded)."""
    import random

    lines = export.ntriples(built.store).decode().splitlines(keepends=True)
    shuffled = lines[:]
    random.Random(7).shuffle(shuffled)
    again = ox.Store()
    again.load("".join(shuffled + shuffled[:50]).encode(), format=ox.RdfFormat.N_TRIPLES)  # duplicates too
    assert export.turtle(again) == export.turtle(built.store)
    assert export.ntriples(again) == export.ntriples(built.store) == "".join(lines).encode()


def test_the_build_cache_gives_the_same_export_as_a_fresh_build(tmp_path, monkeypatch, built):
    monkeypatch.setenv("FKGRAPH_CACHE", str(tmp_path))
    first = api.build()   # builds and writes the cache
    second = api.build()  # loads the cache
    assert list(tmp_path.glob("build-*.nt")) and not callable(first._records) and callable(second._records)
    assert export.turtle(second.store) == export.turtle(first.store) == export.turtle(built.store)


def test_a_list_of_triples_is_sorted_with_stable_blank_node_labels():
    t = [ox.Triple(ox.NamedNode("http://example.org/b"), ox.NamedNode("http://example.org/p"), ox.BlankNode("x1")),
         ox.Triple(ox.BlankNode("x1"), ox.NamedNode("http://example.org/q"), ox.Literal("v")),
         ox.Triple(ox.NamedNode("http://example.org/a"), ox.NamedNode("http://example.org/p"), ox.Literal("w", language="da"))]
    out = export.turtle(t)
    assert out == export.turtle(list(reversed(t)))
    assert out == export.turtle([ox.Triple(x.subject if not isinstance(x.subject, ox.BlankNode) else ox.BlankNode("other"),
                                           x.predicate, x.object if not isinstance(x.object, ox.BlankNode) else ox.BlankNode("other"))
                                 for x in t])
    assert len(list(ox.parse(out, format=ox.RdfFormat.TURTLE))) == 3
    assert out.index(b"<http://example.org/a>") < out.index(b"<http://example.org/b>")


def test_ntriples_sorted_one_line_per_triple(built):
    lines = export.ntriples(built.store).decode().splitlines()
    assert lines == sorted(lines) and len(lines) == len(built)


def test_jsonld_context_file_is_the_inline_context(published):
    ctx = json.loads((published.directory / "dump" / "context.jsonld").read_text())
    doc = json.loads((published.directory / "dump" / "fkgraph.jsonld").read_text())
    assert doc["@context"] == ctx["@context"]
    assert ctx["@context"]["fk"] == "https://w3id.org/fkgraph/ontology#"


def test_jsonld_reads_with_friendly_terms(published):
    """Every property of the graph compacts to a plain term, with the coercion its range asks for."""
    doc = json.loads((published.directory / "dump" / "fkgraph.jsonld").read_text())
    nodes = {n["id"]: n for n in doc["@graph"]}
    keys = {k for n in doc["@graph"] for k in n}
    assert [k for k in keys if ":" in k] == []
    trial = next(n for n in nodes.values() if n.get("type") == "fk:Trial" and "network" in n)
    assert trial["network"] in nodes and nodes[trial["network"]]["type"] == "fk:Network"
    assert set(trial["label"]) == {"da", "en"} and isinstance(trial["label"]["da"], str)


def test_jsonld_context_coerces_as_the_ontology_ranges_say():
    onto = rdflib.Graph().parse(ROOT / "ontology" / "fk.ttl")
    ctx = export.jsonld_context()["@context"]
    fk = ctx["fk"]
    for prop, kind in onto.subject_objects(rdflib.RDF.type):
        if kind not in (rdflib.OWL.ObjectProperty, rdflib.OWL.DatatypeProperty) or not str(prop).startswith(fk):
            continue
        term = ctx[str(prop)[len(fk):]]
        rng = str(onto.value(prop, rdflib.RDFS.range))
        if kind == rdflib.OWL.ObjectProperty:
            assert term["@type"] == "@id", prop
        elif rng.endswith("langString"):
            assert term["@container"] == "@language", prop
        elif rng.endswith("#Literal"):  # values of several datatypes (a year, a month or a day): none coerced
            assert isinstance(term, str) or "@type" not in term, prop
        elif not rng.endswith("#string"):
            assert term["@type"] == "xsd:" + rng.split("#")[1], prop


def test_failed_export_leaves_the_previous_file_and_no_temporary(tmp_path, built, monkeypatch):
    path = tmp_path / "g.ttl"
    export.export(built.store, path)
    before = path.read_bytes()

    def boom(*a, **k):
        raise RuntimeError("disk full")
    with pytest.raises(RuntimeError):
        with fsio.atomic_write(path) as f:
            f.write(b"half a file")
            boom()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.ttl"]


def test_publish_twice_gives_identical_files(tmp_path, built):
    a = catalog.publish(built.store, tmp_path / "a", "https://example.org/fkgraph/", built.base, gzip=True)
    b = catalog.publish(built.store, tmp_path / "b", "https://example.org/fkgraph/", built.base, gzip=True)
    files = sorted(str(p.relative_to(a.directory)) for p in a.directory.rglob("*") if p.is_file())
    assert "dcat.ttl" in files and "void.ttl" in files and ".well-known/void" in files
    for rel in files:
        assert (a.directory / rel).read_bytes() == (b.directory / rel).read_bytes(), rel


# ---- DCAT-AP 3 -----------------------------------------------------------------------------------

def dcat_ap_results(data: rdflib.Graph, *files: str) -> list[tuple[str, str, str]]:
    """Validate with the official DCAT-AP 3.0.1 shapes; the files are merged into one shapes
    graph (pyshacl's -s keeps only the last one; see the README beside the shapes)."""
    import pyshacl

    shapes = rdflib.Graph()
    for name in files:
        shapes.parse(external("FKGRAPH_CHECKS") / "dcat-ap" / "3.0.1" / "html-shacl" / name, format="turtle")
    _, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", allow_warnings=False)
    return [(str(report.value(r, SH.resultSeverity)).rsplit("#")[-1], str(report.value(r, SH.focusNode)),
             str(report.value(r, SH.resultMessage)))
            for r in report.subjects(rdflib.RDF.type, SH.ValidationResult)]


def test_dcat_ap_3_conforms_with_0_violations(published):
    data = rdflib.Graph().parse(published.dcat, format="turtle")
    assert dcat_ap_results(data, "shapes.ttl", "range.ttl") == []
    # The recommended properties (sh:Warning) and the deprecated-URI checks are met too.
    assert dcat_ap_results(data, "shapes.ttl", "range.ttl", "shapes_recommended.ttl") == []
    assert dcat_ap_results(data, "deprecateduris.ttl") == []


def test_dcat_ap_check_catches_a_missing_title(published):
    data = rdflib.Graph().parse(published.dcat, format="turtle")
    dataset = data.value(predicate=rdflib.RDF.type, object=DCAT.Dataset, any=False)
    data.remove((dataset, DCT.title, None))
    results = dcat_ap_results(data, "shapes.ttl", "range.ttl")
    assert [(sev, focus) for sev, focus, _ in results] == [("Violation", str(dataset))]


def test_dcat_describes_dataset_and_each_dump_truthfully(published):
    g = rdflib.Graph().parse(published.dcat, format="turtle")
    ds = g.value(predicate=rdflib.RDF.type, object=DCAT.Dataset, any=False)
    assert {l.language for l in g.objects(ds, DCT.title)} == {"da", "en"}
    assert {l.language for l in g.objects(ds, DCT.description)} == {"da", "en"}
    assert (ds, DCT.license, rdflib.URIRef("http://publications.europa.eu/resource/authority/licence/CC_BY_4_0")) in g
    assert (ds, DCT.spatial, rdflib.URIRef("http://publications.europa.eu/resource/authority/country/DNK")) in g
    period = g.value(ds, DCT.temporal)
    release = catalog.load_release(ROOT / "data")  # programme I's examples too: 2012-01-01..2020-12-31
    assert (str(g.value(period, DCAT.startDate)), str(g.value(period, DCAT.endDate))) == (release.start, release.end)
    assert str(g.value(ds, DCAT.version)) == release.version
    publisher = g.value(ds, DCT.publisher)
    assert (publisher, rdflib.RDF.type, rdflib.FOAF.Agent) in g and g.value(publisher, rdflib.FOAF.name)
    assert g.value(ds, DCAT.contactPoint) is not None and g.value(ds, DCT.conformsTo) is not None
    dists = list(g.objects(ds, DCAT.distribution))
    assert len(dists) == len(published.dumps) == 6
    for dist in dists:
        url = str(g.value(dist, DCAT.downloadURL))
        path = published.directory / url.removeprefix("https://example.org/fkgraph/")
        data = path.read_bytes()
        assert int(g.value(dist, DCAT.byteSize)) == len(data)
        assert str(g.value(g.value(dist, SPDX.checksum), SPDX.checksumValue)) == hashlib.sha256(data).hexdigest()
        assert g.value(dist, DCAT.mediaType) is not None and g.value(dist, DCAT.accessURL) is not None
    service = g.value(predicate=rdflib.RDF.type, object=DCAT.DataService, any=False)
    assert str(g.value(service, DCAT.endpointURL)) == "https://example.org/fkgraph/sparql"


# ---- VoID ----------------------------------------------------------------------------------------

def test_void_counts_partitions_and_links(published, built):
    g = rdflib.Graph().parse(published.void, format="turtle")
    assert published.well_known.read_bytes() == published.void.read_bytes()
    ds = rdflib.URIRef(built.base + "id/dataset")  # the link sets' targets are void:Datasets too
    assert (ds, rdflib.RDF.type, VOID.Dataset) in g and int(g.value(ds, VOID.triples)) == len(built)
    subjects = {q.subject for q in built.store}
    objects = {q.object for q in built.store}
    assert int(g.value(ds, VOID.distinctSubjects)) == len(subjects)
    assert int(g.value(ds, VOID.distinctObjects)) == len(objects)
    assert str(g.value(ds, VOID.uriSpace)) == built.base + "id/"
    assert str(g.value(ds, VOID.sparqlEndpoint)) == "https://example.org/fkgraph/sparql"
    trial = rdflib.URIRef("https://w3id.org/fkgraph/ontology#Trial")
    part = g.value(predicate=VOID["class"], object=trial, any=False)
    assert int(g.value(part, VOID.entities)) == len(built.records.trials)
    props = {g.value(p, VOID.property): int(g.value(p, VOID.triples)) for p in g.objects(ds, VOID.propertyPartition)}
    assert sum(props.values()) == len(built)
    for example in g.objects(ds, VOID.exampleResource):
        assert any(True for _ in built.store.quads_for_pattern(ox.NamedNode(str(example)), None, None))
    dumps = {str(u).removeprefix("https://example.org/fkgraph/") for u in g.objects(ds, VOID.dataDump)}
    assert dumps == {d.relpath for d in published.dumps}
    assert rdflib.URIRef("https://w3id.org/fkgraph/ontology") in set(g.objects(ds, VOID.vocabulary))


def test_cli_publish_writes_the_set_and_rejects_a_bad_url(tmp_path):
    result = run("publish", "--output", str(tmp_path / "p"), "--base", "ftp://nope", "--no-validate")
    assert result.exit_code == 2 and "not an http(s) URL" in result.output
    result = run("publish", "--output", str(tmp_path / "p"), "--no-validate")
    assert result.exit_code == 0, result.output
    assert {"dcat.ttl", "void.ttl"} <= {p.name for p in (tmp_path / "p").iterdir()}
    assert (tmp_path / "p" / "dump" / "fkgraph.jsonld").is_file()


def test_blank_nodes_get_canonical_labels_whatever_they_were_read_with():
    """RDFC-1.0 labels: the same graph read with other blank-node labels writes the same bytes."""
    from fkgraph.rdf import serialize

    ex = "http://example.org/"

    def graph(a: str, b: str) -> list[ox.Triple]:
        x, y = ox.BlankNode(a), ox.BlankNode(b)
        return [ox.Triple(ox.NamedNode(ex + "s"), ox.NamedNode(ex + "p"), x),
                ox.Triple(x, ox.NamedNode(ex + "q"), ox.Literal("1")), ox.Triple(x, ox.NamedNode(ex + "r"), y),
                ox.Triple(y, ox.NamedNode(ex + "q"), ox.Literal("2"))]

    for fmt in ("turtle", "ntriples", "jsonld"):
        one, other = serialize.serialize(graph("a", "b"), fmt), serialize.serialize(graph("zz", "k1"), fmt)
        assert one == other, fmt
        back = rdflib.Graph().parse(data=one.decode("utf-8"), format=RDFLIB_FORMAT[fmt])
        assert isomorphic(back, rdflib.Graph().parse(data=serialize.ntriples(graph("a", "b")).decode(), format="nt"))
    assert b"_:c14n" in serialize.ntriples(graph("a", "b"))


# ---- issue 23: every RDF format, standard output, extensions that agree -----------------------

def test_rdfxml_on_standard_output_reads_in_rdflib_as_the_turtle_dump(tmp_path):
    """The must-show of issue 23: `fkgraph export --format rdfxml -o -`, parsed by an independent
    parser (rdflib), is the graph of the Turtle dump, triple for triple."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    xml = subprocess.run([sys.executable, "-m", "fkgraph", "export", "--format", "rdfxml", "-o", "-"], cwd=tmp_path,
                         env=env, capture_output=True, check=True).stdout
    ttl = tmp_path / "g.ttl"
    assert CliRunner().invoke(cli, ["export", "-o", str(ttl)]).exit_code == 0
    from_xml, from_ttl = rdflib.Graph().parse(data=xml, format="xml"), rdflib.Graph().parse(ttl, format="turtle")
    assert len(from_xml) == len(from_ttl) > 5000
    assert set(from_xml) == set(from_ttl)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # rdflib's own, inside its N-Quads and TriG parsers
@pytest.mark.parametrize("fmt,ext,rdflib_format", [("nquads", "nq", "nquads"), ("trig", "trig", "trig"),
                                                   ("rdfxml", "rdf", "xml"), ("jsonld", "jsonld", "json-ld")])
def test_format_from_the_extension_and_on_standard_output(fmt, ext, rdflib_format, tmp_path, built):
    path = tmp_path / f"g.{ext}"
    r = CliRunner().invoke(cli, ["export", "-o", str(path)])
    assert r.exit_code == 0, r.output
    out = CliRunner().invoke(cli, ["export", "--format", fmt, "-o", "-"])
    assert out.exit_code == 0 and out.stdout_bytes == path.read_bytes()  # deterministic, same bytes
    g = rdflib.Dataset() if fmt in ("nquads", "trig") else rdflib.Graph()
    g.parse(data=path.read_bytes(), format=rdflib_format)
    assert (sum(1 for _ in g.quads()) if isinstance(g, rdflib.Dataset) else len(g)) == len(built)


@pytest.mark.parametrize("fmt,name", [("turtle", "g.rdf"), ("ntriples", "g.ttl"), ("rdfxml", "g.nq.gz"), ("trig", "g.jsonld")])
def test_an_extension_contradicting_the_format_is_refused(fmt, name, tmp_path):
    r = CliRunner().invoke(cli, ["export", "--format", fmt, "-o", str(tmp_path / name)])
    assert r.exit_code == 2 and len(r.output.strip().splitlines()) == 1 and fmt in r.output
    assert not list(tmp_path.iterdir())


def test_validate_reads_gzipped_files(tmp_path):
    path = tmp_path / "g.nt.gz"
    assert CliRunner().invoke(cli, ["export", "-o", str(path)]).exit_code == 0
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    r = CliRunner().invoke(cli, ["validate", str(path)])
    assert r.exit_code == 0, r.output
    (tmp_path / "broken.ttl.gz").write_bytes(b"not gzip at all")
    r = CliRunner().invoke(cli, ["validate", str(tmp_path / "broken.ttl.gz")])
    assert r.exit_code == 2 and "broken.ttl.gz" in r.output


def test_graph_formats_of_a_query_are_the_export_formats():
    from fkgraph.sparql.results import GRAPH_FORMATS
    assert tuple(export.RDF_FORMATS) == GRAPH_FORMATS
    assert set(export.FORMATS) == {"turtle", "ntriples", "jsonld"}  # what `publish` writes
