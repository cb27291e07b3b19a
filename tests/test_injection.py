"""Hostile parameter values (issue 7): a value is bound as one RDF term or refused with a
QueryError; it never changes what a query returns beyond binding that literal.

`HOSTILE_VALUES` is importable (`from test_injection import HOSTILE_VALUES`) so that the remote
endpoint tests can send the same values over the SPARQL protocol.
"""
from __future__ import annotations

import unicodedata

import pyoxigraph as ox
import pytest
from hypothesis import given, strategies as st

from fkgraph import api
from fkgraph.sparql import binding, catalogue, results
from fkgraph.sparql.resolve import PARAM_CLASSES, resolver
from fkgraph import config

from conftest import ROOT

HOSTILE_VALUES: list[str] = [
    '"', "'", '"""', "'''", '\\"', "\\", "\\\\",
    '" } UNION { ?s ?p ?o } #',
    "' } UNION { ?s ?p ?o } #",
    '"@en', '"^^<http://www.w3.org/2001/XMLSchema#integer>',
    "}", "{", "} } } SELECT * WHERE { ?s ?p ?o", "{ ?s ?p ?o }",
    ">", "<", "<http://example.org/x>", "http://example.org/x> ?p ?o . <http://example.org/y",
    "http://example.org/ok",
    "\n", "\r\n", "a\nb", "#", "# comment\n} SELECT * WHERE { ?s ?p ?o }",
    "?s", "$s", "?__network_iri", "_:b0",
    "SELECT", "WHERE", "FILTER(true)", "DROP ALL", "INSERT DATA { <a:b> <a:b> <a:b> }",
    "LAB . } } ; DROP ALL ; SELECT * { ?s ?p ?o", 'SL § 52" || true || "',
    "VALUES ?x { 1 }", ") || true || (", "1 || 1=1",
    "\\u0022 } UNION { ?s ?p ?o } #", "\\U00000022", "\\u003e",
    "\u202e", "\u200b", "æøå ÆØÅ", "ﬁ", "İ", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "🙂", "\ufeff", "\t", "\x7f", "\x1b[31m",
    " ", "", "x" * 10_000, "§" * 100_001,
]

QDIR = config.queries_dir(ROOT)
CATALOGUE = catalogue.catalogue(QDIR)
REQUIRED = {"trials-exempting": {"provision": "SL § 140"}, "municipality-trials": {"municipality": "Gladsaxe"}}


@pytest.fixture(scope="module")
def resolve(built):
    return resolver(built.store, api.citation_canonicalizer(built))


def _term_of(text: str) -> ox.Literal | ox.NamedNode:
    """Read one N-Triples term back (the form bound_text writes)."""
    quads = list(ox.parse(f"<http://a.example/s> <http://a.example/p> {text} .".encode(), format=ox.RdfFormat.N_TRIPLES))
    assert len(quads) == 1
    return quads[0].object


def check_binding(query: catalogue.Query, params: dict, resolve, built) -> results.Rows | None:
    """Run `query` with `params`; return its rows, or None when the values were refused.

    Asserts that only QueryError is ever raised, and that what was bound is exactly one VALUES
    line per parameter, inserted into the otherwise unchanged query text (but for the optional-
    parameter filters `simplify_optional_filters` rewrites), holding one term: the
    typed text itself for a literal, an IRI of the data (or the typed http IRI) otherwise.
    """
    try:
        bound = binding.bindings(query, params, resolve)
    except catalogue.QueryError:
        with pytest.raises(catalogue.QueryError):
            results.run(query, built.store, params, resolve)
        return None
    text = binding.bound_text(query, bound)
    lines = text.split("\n")
    inserted = [l for l in lines if l.startswith("  VALUES ?") and l not in query.text.split("\n")]
    assert len(inserted) == len(bound)
    optional = {p.variable for p in query.params if not p.required}
    assert "\n".join(l for l in lines if l not in inserted) == binding.simplify_optional_filters(query.text, optional, bound)
    for line in inserted:
        var, rest = line[len("  VALUES ?"):].split(" ", 1)
        assert rest.startswith("{ ") and rest.endswith(" }")
        term = _term_of(rest[2:-2])
        assert term == bound[var]
        p = query.param(var)
        typed = params.get(p.name, p.default)
        if isinstance(term, ox.Literal) and p.kind == "literal":
            assert term.value == unicodedata.normalize("NFC", typed)  # bound in NFC, as stored
    return results.run(query, built.store, params, resolve)


def _is_a(built, term, classes) -> bool:
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    return any(next(built.store.quads_for_pattern(term, rdf_type, ox.NamedNode(c)), None) is not None for c in classes)


def _targets():
    for name, query in sorted(CATALOGUE.items()):
        for p in query.params:
            yield name, p.name


@pytest.mark.parametrize("name,param", list(_targets()))
def test_hostile_values_are_bound_or_refused(name, param, built, resolve):
    query = CATALOGUE[name]
    baseline = results.run(query, built.store, REQUIRED.get(name, {}), resolve)
    for value in HOSTILE_VALUES:
        params = {**REQUIRED.get(name, {}), param: value}
        rows = check_binding(query, params, resolve, built)
        if rows is None:
            continue
        assert rows.columns == baseline.columns
        p = query.param(param)
        if value == "" and not p.required:
            assert rows.rows == baseline.rows  # an empty value is no value
        elif p.kind == "iri":
            term = binding.to_term(p, value, resolve)
            if value.startswith("http"):
                assert term == ox.NamedNode(value) and rows.rows == [], value  # no such IRI in the data
            else:
                # a citation or name found inside the text: bound as that thing's IRI, with the
                # same rows as giving the IRI itself
                assert _is_a(built, term, PARAM_CLASSES[p.name]), value
                assert rows.rows == results.run(query, built.store, {**params, param: term.value}, resolve).rows
        elif name == "trials" and param == "text":
            assert rows.rows == [r for r in baseline.rows if value.lower() in (r[3] or "").lower()]


@given(st.text(max_size=60))
def test_any_text_for_a_literal_parameter_filters_exactly(built, resolve, value):
    query = CATALOGUE["trials"]
    baseline = results.run(query, built.store, {}, resolve)
    rows = check_binding(query, {"text": value}, resolve, built)
    if rows is not None:  # values are bound in Unicode NFC, as the records are stored
        nfc = unicodedata.normalize("NFC", value)
        assert rows.rows == [r for r in baseline.rows if nfc.lower() in (r[3] or "").lower()]
    else:
        assert "\\u" in value.lower() or "\x00" in value


@given(st.sampled_from(["network", "programme", "kind"]), st.text(max_size=40))
def test_any_text_for_other_parameters_is_bound_or_a_usage_error(built, resolve, param, value):
    rows = check_binding(CATALOGUE["most-exempted-statutes"], {param: value}, resolve, built)
    if rows is not None and value.strip():
        p = CATALOGUE["most-exempted-statutes"].param(param)
        term = binding.to_term(p, value, resolve)
        if isinstance(term, ox.NamedNode) and not value.startswith("http"):
            # a resolved name: the IRI is a thing of the expected class in the data
            assert _is_a(built, term, PARAM_CLASSES[param])


@given(st.text(max_size=40))
def test_any_text_for_a_provision_is_resolved_or_refused(built, resolve, value):
    query = CATALOGUE["trials-exempting"]
    if check_binding(query, {"provision": value}, resolve, built) is not None and not value.startswith("http"):
        assert _is_a(built, binding.to_term(query.param("provision"), value, resolve), PARAM_CLASSES["provision"])


def test_hostile_values_agree_on_rdflib(built, resolve):
    """The bound text of hostile literals means the same on rdflib (which expands \\u escapes
    before parsing: such values are refused, see binding.to_term)."""
    import rdflib
    g = rdflib.Graph()
    g.parse(data=built.store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()).decode(), format="nt")
    query = CATALOGUE["trials"]
    syntax = [v for v in HOSTILE_VALUES if len(v) < 200 and any(c in v for c in '"\'{}<>\\\n#?$')]
    for value in syntax + ["læring", "LÆRING"]:
        try:
            bound = binding.bindings(query, {"text": value, "network": "4"}, resolve)
        except catalogue.QueryError:
            continue
        mine = sorted(str(r[1]) for r in results.run(query, built.store, {"text": value, "network": "4"}, resolve).rows)
        theirs = sorted(str(r[1]) for r in g.query(binding.bound_text(query, bound)))
        assert mine == theirs, value
    assert mine  # the last value, "LÆRING", matches network 4's trials on learning


def test_hostile_values_on_the_command_line_exit_0_or_2():
    from click.testing import CliRunner
    from fkgraph.cli import cli

    for value in ['" } UNION { ?s ?p ?o } #', "> <", "\\u0022", "x\ny", "🙂", "DROP ALL"]:
        for param in ("text", "network", "status"):
            result = CliRunner().invoke(cli, ["query", "trials", "-p", f"{param}={value}"])
            assert result.exit_code in (0, 2), (param, value, result.output)
            assert "Traceback" not in result.output and "internal error" not in result.output
