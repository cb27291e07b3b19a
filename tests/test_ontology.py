"""The ontology (ontology/fk.ttl) is complete, bilingual, aligned, and agrees with the data and shapes."""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib import OWL, RDF, RDFS, SKOS, Namespace, URIRef
from rdflib.collection import Collection

from fkgraph.model import iris
from fkgraph.model import records
from fkgraph.publishing.ontodocs import build_docs

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY = ROOT / "ontology" / "fk.ttl"
SHAPES = ROOT / "ontology" / "shapes.ttl"
FK = Namespace(iris.ONTOLOGY)
SH = Namespace("http://www.w3.org/ns/shacl#")
DCT = Namespace("http://purl.org/dc/terms/")
VANN = Namespace("http://purl.org/vocab/vann/")
ONT = URIRef("https://w3id.org/fkgraph/ontology")
TERM_TYPES = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)


@pytest.fixture(scope="module")
def g() -> rdflib.Graph:
    return rdflib.Graph().parse(ONTOLOGY, format="turtle")


@pytest.fixture(scope="module")
def shapes() -> rdflib.Graph:
    return rdflib.Graph().parse(SHAPES, format="turtle")


def declared(g) -> set:
    return {s for s in g.subjects(RDF.type, None) if str(s).startswith(str(FK))}


def terms(g) -> list:
    return sorted(s for t in TERM_TYPES for s in g.subjects(RDF.type, t) if str(s).startswith(str(FK)))


# ---- the header ---------------------------------------------------------------------------------

def test_ontology_header(g):
    assert (ONT, RDF.type, OWL.Ontology) in g
    for p in (DCT.title, DCT.description):
        assert {o.language for o in g.objects(ONT, p)} >= {"da", "en"}, p
    assert g.value(ONT, DCT.license) == URIRef("https://creativecommons.org/licenses/by/4.0/")
    assert g.value(ONT, DCT.creator) is not None
    for p in (DCT.created, DCT.modified):
        assert g.value(ONT, p).datatype == rdflib.XSD.date
    version = str(g.value(ONT, OWL.versionInfo))
    assert str(g.value(ONT, OWL.versionIRI)) == f"{ONT}/{version}"
    assert str(g.value(ONT, VANN.preferredNamespacePrefix)) == "fk"
    assert str(g.value(ONT, VANN.preferredNamespaceUri)) == iris.ONTOLOGY


# ---- every term ---------------------------------------------------------------------------------

def test_every_term_has_both_labels_a_definition_and_is_defined_by(g):
    problems = []
    for s in terms(g) + sorted(g.subjects(RDF.type, SKOS.ConceptScheme)):
        for p in (RDFS.label, SKOS.definition):
            langs = Counter(o.language for o in g.objects(s, p))
            if langs.get("da") != 1 or langs.get("en") != 1 or set(langs) - {"da", "en"}:
                problems.append(f"{s}: {p} per language {dict(langs)} (want exactly one da and one en)")
        for o in g.objects(s, RDFS.label):
            if str(o) != str(o).strip() or "  " in str(o):
                problems.append(f"{s}: label {o!r} has stray whitespace")
        if (s, RDFS.isDefinedBy, ONT) not in g:
            problems.append(f"{s}: no rdfs:isDefinedBy")
    assert not problems, "\n".join(problems)


def test_labels_are_unique_per_language_among_terms(g):
    seen: dict = {}
    for s in terms(g) + sorted(g.subjects(RDF.type, SKOS.ConceptScheme)):
        for o in g.objects(s, RDFS.label):
            key = (str(o).lower(), o.language)
            assert key not in seen, f"label {o!r}@{o.language} used by {seen[key]} and {s}"
            seen[key] = s


def test_every_property_has_domain_and_range(g):
    for t in (OWL.ObjectProperty, OWL.DatatypeProperty):
        for p in g.subjects(RDF.type, t):
            assert g.value(p, RDFS.domain) is not None, f"{p}: no rdfs:domain"
            assert g.value(p, RDFS.range) is not None, f"{p}: no rdfs:range"


def test_classes_sit_under_the_standard_terms(g):
    prov, org, foaf = Namespace("http://www.w3.org/ns/prov#"), Namespace("http://www.w3.org/ns/org#"), Namespace("http://xmlns.com/foaf/0.1/")
    want = {FK.Programme: {prov.Activity}, FK.Trial: {prov.Activity}, FK.Evaluation: {prov.Activity},
            FK.Network: {org.OrganizationalCollaboration}, FK.Municipality: {org.Organization},
            FK.SourceDocument: {foaf.Document, prov.Entity}, FK.SourceExcerpt: {prov.Entity},
            FK.StatusObservation: {prov.Entity}}
    for cls, supers in want.items():
        assert set(g.objects(cls, RDFS.subClassOf)) >= supers, cls


def test_alignments_of_the_exemption_say_how_they_differ(g):
    cdm = URIRef("http://publications.europa.eu/ontology/cdm#resource_legal_derogates_resource_legal")
    akn = URIRef("http://docs.oasis-open.org/legaldocml/ns/akn/3.0#exceptionOfScope")
    for s in (FK.Exemption, FK.exemptsFrom):
        assert (s, SKOS.closeMatch, cdm) in g
        assert (s, RDFS.seeAlso, akn) in g
        comments = {o.language: str(o) for o in g.objects(s, RDFS.comment)}
        assert {"da", "en"} <= set(comments)
        assert "CDM" in comments["en"] and "Akoma Ntoso" in comments["en"]
    en = next(str(o) for o in g.objects(FK.Exemption, RDFS.comment) if o.language == "en")
    assert "disapplied" in en and "excluded" in en and "legislation.gov.uk" in en


# ---- concept schemes ----------------------------------------------------------------------------

SCHEMES = {  # scheme → (iri prefix, the values records.py accepts)
    FK.TrialStatusScheme: ("status", records.STATUSES + records.OBSERVED_STATUSES),
    FK.ExemptionKindScheme: ("kind", records.KINDS),
    FK.ApplicationDecisionScheme: ("decision", records.DECISIONS),
    FK.SubdivisionTypeScheme: ("level", ("kapitel", "paragraf", "stykke", "nummer", "litra", "punktum")),
    FK.StatuteTypeScheme: ("statute-type", records.STATUTE_TYPES),
    FK.OutcomeKindScheme: ("outcome", records.OUTCOME_KINDS),
    FK.DocumentKindScheme: ("document-kind", records.SOURCE_KINDS),
}


@pytest.mark.parametrize("scheme", sorted(SCHEMES), ids=lambda s: str(s).rsplit("#", 1)[-1])
def test_scheme_has_exactly_the_values_the_records_accept(g, scheme):
    prefix, values = SCHEMES[scheme]
    assert (scheme, RDF.type, SKOS.ConceptScheme) in g
    members = set(g.subjects(SKOS.inScheme, scheme))
    assert members == {URIRef(iris.concept(prefix, v)) for v in values}
    assert set(g.objects(scheme, SKOS.hasTopConcept)) == members
    for c in members:
        assert (c, RDF.type, SKOS.Concept) in g
        pref = Counter(o.language for o in g.objects(c, SKOS.prefLabel))
        assert pref == Counter({"da": 1, "en": 1}), f"{c}: skos:prefLabel {dict(pref)}"
        assert {o.language for o in g.objects(c, SKOS.definition)} == {"da", "en"}, c
    labels = [(str(o), o.language) for c in members for o in g.objects(c, SKOS.prefLabel)]
    assert len(labels) == len(set(labels)), f"{scheme}: two concepts share a label"


def test_shapes_sh_in_lists_match_the_schemes(g, shapes):
    """Every sh:in of concepts lists exactly one scheme's members, or (fk:status, the February 2018
    status) exactly the statuses a trial record accepts."""
    schemes = {frozenset(g.subjects(SKOS.inScheme, s)) for s in SCHEMES}
    schemes.add(frozenset(URIRef(iris.concept("status", v)) for v in records.STATUSES))
    found = 0
    for lst in shapes.objects(None, SH["in"]):
        values = frozenset(Collection(shapes, lst))
        if all(str(v).startswith(str(FK)) for v in values):
            assert values in schemes, f"sh:in {sorted(values)} is not a whole concept scheme"
            found += 1
    assert found == len(SCHEMES) + 1


def test_shapes_use_only_declared_fk_terms(g, shapes):
    known = declared(g)
    used = {o for t in shapes for o in t if isinstance(o, URIRef) and str(o).startswith(str(FK))}
    for lst in shapes.objects(None, SH["in"]):
        used |= {v for v in Collection(shapes, lst) if str(v).startswith(str(FK))}
    for select in shapes.objects(None, SH.select):
        used |= {FK[m] for m in re.findall(r"\bfk:([A-Za-z][A-Za-z0-9-]*[A-Za-z0-9])", str(select))}
    assert not used - known, f"shapes use undeclared terms: {sorted(used - known)}"


# ---- the built data -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def built():
    from fkgraph import api
    return api.build(ROOT)


#: Declared for data the sources give only in part: no round in data/programmes.yaml has a deadline yet.
NOT_YET_IN_DATA = {FK.deadline}


def test_every_fk_term_in_the_data_is_declared(g, built):
    known = declared(g)
    used = set()
    for q in built.store.quads_for_pattern(None, None, None, None):
        for t in (q.predicate, q.object):
            if isinstance(t, ox.NamedNode) and t.value.startswith(str(FK)):
                used.add(URIRef(t.value))
    missing = sorted(used - known)
    assert not missing, f"terms used in the data but not declared in ontology/fk.ttl: {missing}"
    # and the data uses each class and property the ontology declares for it (nothing stale)
    data_preds = {URIRef(q.predicate.value) for q in built.store.quads_for_pattern(None, None, None, None)}
    stale = [p for t in (OWL.ObjectProperty, OWL.DatatypeProperty) for p in g.subjects(RDF.type, t)
             if p not in data_preds]
    assert set(stale) <= NOT_YET_IN_DATA, f"declared properties the data never uses: {sorted(set(stale) - NOT_YET_IN_DATA)}"


def test_concepts_used_in_the_data_are_in_their_scheme(g, built):
    by_property = {FK.status: FK.TrialStatusScheme, FK.kind: FK.ExemptionKindScheme, FK.decision: FK.ApplicationDecisionScheme,
                   FK.subdivisionType: FK.SubdivisionTypeScheme, FK.statuteType: FK.StatuteTypeScheme,
                   FK.outcomeKind: FK.OutcomeKindScheme}
    for prop, scheme in by_property.items():
        for q in built.store.quads_for_pattern(None, ox.NamedNode(str(prop)), None, None):
            assert (URIRef(q.object.value), SKOS.inScheme, scheme) in g, f"{q.object} ({prop}) is not in {scheme}"


# ---- the documentation --------------------------------------------------------------------------

def test_docs_build_without_warnings(tmp_path):
    docs = build_docs(tmp_path / "docs", ONTOLOGY, SHAPES)
    assert docs.warnings == []
    html = (tmp_path / "docs" / "index.html").read_text(encoding="utf-8")
    ids = set(re.findall(r'id="([^"]+)"', html))
    broken = {h for h in re.findall(r'href="#([^"]+)"', html)} - ids
    assert not broken, f"links to missing anchors: {sorted(broken)}"
    g = rdflib.Graph().parse(ONTOLOGY, format="turtle")
    for t in terms(g):
        assert f'id="{str(t)[len(str(FK)):]}"' in html, t
    assert "frikommunenetværk" in html and "exceptionOfScope" in html and "fksh:TrialMunicipalitiesInNetwork" in html
    assert (tmp_path / "docs" / "fk.ttl").read_bytes() == ONTOLOGY.read_bytes()


def test_docs_warn_about_a_term_without_danish_label(tmp_path):
    broken = tmp_path / "fk.ttl"
    text = ONTOLOGY.read_text(encoding="utf-8").replace('rdfs:label "frikommunenetværk"@da , "network"@en',
                                                        'rdfs:label "network"@en')
    assert text != ONTOLOGY.read_text(encoding="utf-8")
    broken.write_text(text, encoding="utf-8")
    docs = build_docs(tmp_path / "docs", broken, SHAPES)
    assert "fk:Network has no rdfs:label in da" in docs.warnings


# ---- the "must return no rows" checks of ontology/checks/ ---------------------------------------

CHECKS = ROOT / "ontology" / "checks"


def run_check(name: str, *stores_turtle: bytes, built=None) -> list:
    store = ox.Store()
    for data in stores_turtle:
        store.load(data, format=ox.RdfFormat.TURTLE)
    if built is not None:
        store.extend(built.store.quads_for_pattern(None, None, None, None))
    return list(store.query((CHECKS / name).read_text(encoding="utf-8")))


@pytest.mark.parametrize("name", ["duplicate-labels.rq", "missing-labels-or-definitions.rq"])
def test_ontology_checks_return_no_rows(name):
    assert run_check(name, ONTOLOGY.read_bytes()) == []


def test_undeclared_terms_check_returns_no_rows_on_the_data(built):
    assert run_check("undeclared-fk-terms.rq", ONTOLOGY.read_bytes(), built=built) == []


def test_checks_find_what_they_look_for():
    extra = (b'@prefix fk: <https://w3id.org/fkgraph/ontology#> . @prefix owl: <http://www.w3.org/2002/07/owl#> .'
             b'@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .'
             b'fk:Extra a owl:Class ; rdfs:label "Trial"@en . fk:Thing fk:undeclaredProperty fk:Extra .')
    dup = run_check("duplicate-labels.rq", ONTOLOGY.read_bytes(), extra)
    assert [r["label"].value for r in dup] == ["trial"] or [r["label"].value for r in dup] == ["Trial"]
    missing = {(r["term"].value.rsplit("#", 1)[-1], r["missing"].value, r["lang"].value)
               for r in run_check("missing-labels-or-definitions.rq", ONTOLOGY.read_bytes(), extra)}
    assert missing == {("Extra", "label", "da"), ("Extra", "definition", "en")}
    undeclared = [r["term"].value for r in run_check("undeclared-fk-terms.rq", ONTOLOGY.read_bytes(), extra)]
    assert undeclared == [iris.ONTOLOGY + "undeclaredProperty"]
