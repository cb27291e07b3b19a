"""The stored query catalogue (issue 7, and issue 6's fixed-column queries): decorators under
grlc's rules, the same rows on pyoxigraph and rdflib, parameter resolution, answers the seeds
support, and the `query`/`queries` commands with every output format."""
from __future__ import annotations

import csv
import io
import json
import re

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from fkgraph import api
from fkgraph.model import iris
from fkgraph.sparql import binding, catalogue, results
from fkgraph.sparql.resolve import resolver
from fkgraph import config
from fkgraph.model.citations import Provision
from fkgraph.cli import cli

from conftest import ROOT, seed_lines

QDIR = config.queries_dir(ROOT)
CATALOGUE = catalogue.catalogue(QDIR)
FK = iris.ONTOLOGY
B = iris.DEFAULT_BASE

ISSUE_QUERIES = {
    "most-exempted-statutes", "most-exempted-provisions", "statute-network-matrix", "trials-exempting",
    "municipality-trials", "network-overview", "shared-provisions", "trials-without-exemption",
    "made-permanent", "sources", "trials", "exemptions", "municipalities", "applications", "statutes"}

# What the required parameters are given when a test runs every query.
EXAMPLES = {"trials-exempting": {"provision": "SL § 140"}, "municipality-trials": {"municipality": "Gladsaxe"}}

# Every query with its defaults, plus the variants that take other branches of the text.
CASES = [(name, EXAMPLES.get(name, {})) for name in sorted(CATALOGUE)] + [
    ("most-exempted-statutes", {"network": "4", "exclude": "udvidelse"}),
    ("most-exempted-statutes", {"programme": "frikommune-ii", "kind": "dispensation"}),
    ("most-exempted-provisions", {"level": "paragraph", "statute": "SL"}),
    ("statute-network-matrix", {"count": "trials"}),
    ("shared-provisions", {"level": "paragraph", "minimum": "2"}),
    ("trials-exempting", {"provision": "LAB"}),
    ("trials", {"network": "4", "text": "læring"}),
    ("exemptions", {"statute": "LAB", "kind": "fritagelse"}),
    ("applications", {"decision": "rejected"}),
    ("made-permanent", {"kind": "not-continued"}),
    ("network-overview", {"network": "4"}),
    ("trials", {"as-of": "2019-01-15"}),
    ("trials", {"asof": "2019-06-01", "status": "ended"}),
    ("status-history", {"trial": "Søvnforbedrende velfærdsteknologier"}),
    ("municipality-trials", {"municipality": "Aarhus", "as-of": "2019-01-15"}),
    ("trials-exempting", {"provision": "SL", "as-of": "2019-04-01"}),
    ("trials-without-exemption", {"as-of": "2019-04-01"}),
    ("network-overview", {"as-of": "2019-01-15"}),
    ("most-exempted-statutes", {"as-of": "2019-01-15", "status": "started"}),
    ("most-exempted-provisions", {"as-of": "2019-01-15", "status": "started", "level": "paragraph"}),
    ("statute-network-matrix", {"as-of": "2019-01-15", "count": "trials"}),
    ("shared-provisions", {"as-of": "2019-01-15", "status": "approved"}),
]

# Branches the data may not (yet) reach: the seeds record no not-continued outcome.
MAY_BE_EMPTY = [("made-permanent", {"kind": "not-continued"})]

GRLC_KEYS = {"summary", "description", "tags", "defaults", "enumerate", "endpoint", "endpoint_in_url",
             "pagination", "method", "transform", "params"}  # `params`: fkgraph's one-line parameter docs
# grlc's own matcher (gquery.get_parameters): the name has no underscore; one optional type code.
GRLC_VARIABLE = re.compile(r"^(?P<required>_{1,2})(?P<name>[^_]+)_?(?P<type>[a-zA-Z0-9]+)?_?(?P<userdefined>[a-zA-Z0-9]+)?$")
GRLC_TYPES = {"iri", "number", "literal", "string", "integer", "decimal", "double", "date", "boolean"}


def grlc_decorators(text: str) -> dict:
    """The `#+` lines before the query, read as grlc reads them (YAML), independently of fkgraph."""
    import yaml

    lines = []
    for line in text.splitlines():
        if line.startswith("#+"):
            lines.append(line[2:].removeprefix(" "))
        elif line.strip() and not line.startswith("#"):
            break
    return yaml.safe_load("\n".join(lines)) or {}


def run(*args, home=None):
    argv = (["--home", str(home)] if home else []) + list(args)
    return CliRunner().invoke(cli, argv, catch_exceptions=False)


def q(name, params=None, built=None):
    return api.query(name, params or {}, built=built, home=ROOT)


def col(rows, name):
    return [r[rows.columns.index(name)] for r in rows.rows]


# ---- the catalogue and its decorators ------------------------------------------------------------

def test_catalogue_holds_the_issue_queries():
    assert ISSUE_QUERIES <= set(CATALOGUE)
    assert len(CATALOGUE) >= 12


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_decorators_follow_grlc_rules(name):
    query = CATALOGUE[name]
    meta = grlc_decorators(query.text)
    assert set(meta) <= GRLC_KEYS, set(meta) - GRLC_KEYS
    assert query.summary and len(query.summary) < 120
    assert query.description
    assert query.tags and all(isinstance(t, str) for t in query.tags)
    names = {p.name for p in query.params}
    for p in query.params:
        m = GRLC_VARIABLE.match(p.variable)
        assert m, p.variable
        # grlc would expose the parameter under the same name as fkgraph does
        assert m.group("name") == p.name, (p.variable, m.group("name"))
        if m.group("type"):
            assert m.group("type") in GRLC_TYPES or (m.group("type") == "xsd" and m.group("userdefined")), p.variable
        assert p.description, f"{name}: parameter {p.name} has no line under #+ params"
    for key in ("defaults", "enumerate"):
        for entry in meta.get(key, []) or []:
            assert isinstance(entry, dict) and set(entry) <= names, (key, entry)
    assert set(meta.get("params", {}) or {}) <= names
    for p in query.params:
        if p.default is not None:
            binding.to_term(p, p.default)  # a default must be a valid value of its own parameter
    # the projected columns are what the query returns, in order
    assert query.columns and len(set(query.columns)) == len(query.columns)


def test_decorators_of_a_catalogue_in_a_folder(tmp_path):
    (tmp_path / "by-network.rq").write_text(
        "#+ summary: Trials by network\n#+ description: >\n#+   One row per trial.\n#+ tags:\n#+   - trials\n"
        "#+ defaults:\n#+   - kind: dispensation\n#+ enumerate:\n#+   - kind:\n#+     - dispensation\n#+     - fritagelse\n"
        "#+ params:\n#+   network: the network, e.g. 4\n"
        "# a plain comment\n"
        "SELECT ?trial (COUNT(?x) AS ?n) WHERE { ?trial ?p ?_network_iri ; ?k ?__kind . FILTER(?n > ?__minimum_integer) }\n",
        encoding="utf-8")
    (tmp_path / "plain.rq").write_text("SELECT ?s WHERE { ?s ?p ?o }\n", encoding="utf-8")
    found = catalogue.catalogue(tmp_path)
    assert sorted(found) == ["by-network", "plain"]
    q = found["by-network"]
    assert (q.summary, q.description, q.tags, q.columns) == ("Trials by network", "One row per trial.", ["trials"], ["trial", "n"])
    assert [(p.name, p.variable, p.required, p.kind) for p in q.params] == [
        ("network", "_network_iri", True, "iri"), ("kind", "__kind", False, "literal"),
        ("minimum", "__minimum_integer", False, "integer")]
    kind = q.param("kind")
    assert kind.default == "dispensation" and kind.enum == ("dispensation", "fritagelse")
    assert q.param("network").description == "the network, e.g. 4"
    assert "-p network=4" in catalogue.describe(q) and found["plain"].params == []
    assert catalogue.find("plain", tmp_path).text == found["plain"].text
    (tmp_path / "broken.rq").write_text("#+ summary: [unclosed\nSELECT * WHERE {}\n", encoding="utf-8")
    with pytest.raises(catalogue.QueryError, match="broken.rq: the #\\+ decorators are not valid YAML"):
        catalogue.catalogue(tmp_path)


def test_query_errors_are_usage_errors():
    from fkgraph.errors import UsageError

    assert issubclass(catalogue.QueryError, UsageError) and catalogue.QueryError("x").exit_code == 2


@pytest.fixture(scope="module")
def ontology_store():
    store = ox.Store()
    store.bulk_load(path=str(config.ontology_file(ROOT)), format=ox.RdfFormat.TURTLE)
    return store


@pytest.mark.parametrize("name", sorted(n for n, x in CATALOGUE.items() if any(p.enum for p in x.params)))
def test_enumerations_are_values_of_the_data(name, built, ontology_store):
    """Each enumerated value is a concept of a scheme the query reads (`STRAFTER(…, "#kind-")`)
    or a string the query compares with; and every concept of that scheme the data uses is
    offered, so no value in the data is out of a user's reach."""
    query = CATALOGUE[name]
    body = "\n".join(l for l in query.text.splitlines() if not l.lstrip().startswith("#"))
    prefixes = re.findall(r'STRAFTER\(STR\(\?\w+\), "#([a-z-]+-)"\)', body)
    concept = ox.NamedNode("http://www.w3.org/2004/02/skos/core#Concept")
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    for p in (p for p in query.params if p.enum):
        own = [pre for pre in prefixes if any(
            next(ontology_store.quads_for_pattern(ox.NamedNode(FK + pre + v), rdf_type, concept), None) for v in p.enum)]
        for v in p.enum:
            is_concept = any(next(ontology_store.quads_for_pattern(ox.NamedNode(FK + pre + v), rdf_type, concept), None)
                             for pre in own)
            assert is_concept or f'"{v}"' in body, f"{name}: {p.name}={v} is neither a concept nor compared"
        # the values of the properties the query reads (fk:status, not the observations' fk:observedStatus)
        read = " ".join(f"<{FK}{m}>" for m in sorted(set(re.findall(r"\bfk:([A-Za-z]+)\b", body))))
        for pre in own:
            used = {o.value[len(FK + pre):] for o in built.store.query(
                f"SELECT DISTINCT ?o WHERE {{ VALUES ?p {{ {read} }} ?s ?p ?o FILTER(STRSTARTS(STR(?o), \"{FK}{pre}\")) }}")
                for o in [o["o"]]}
            assert used <= set(p.enum), f"{name}: {p.name} lacks {used - set(p.enum)}"


# ---- the same rows on every engine ---------------------------------------------------------------

@pytest.fixture(scope="module")
def rdflib_graph(built):
    import rdflib
    g = rdflib.Graph()
    g.parse(data=built.store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()).decode(), format="nt")
    return g


def _norm(v) -> str:
    """A value as text, with `;`-separated lists sorted (GROUP_CONCAT order is unspecified)."""
    s = "" if v is None else str(v)
    return ";".join(sorted(s.split(";"))) if ";" in s else s


@pytest.mark.parametrize("name,params", CASES, ids=[f"{n}-{'-'.join(p.values()) or 'defaults'}" for n, p in CASES])
def test_same_rows_in_pyoxigraph_and_rdflib(name, params, built, rdflib_graph):
    query = CATALOGUE[name]
    resolve = resolver(built.store, api.citation_canonicalizer(built))
    text = binding.bound_text(query, binding.bindings(query, params, resolve))
    mine = results.run(query, built.store, params, resolve)
    assert mine.columns == query.columns
    result = rdflib_graph.query(text)
    theirs = [[_norm(None if t is None else str(t)) for t in row] for row in result]
    assert [str(v) for v in result.vars] == mine.columns
    ox_rows = [[_norm(v) for v in r] for r in mine.rows]
    assert sorted(ox_rows) == sorted(theirs)
    if (name, params) not in MAY_BE_EMPTY:
        assert mine.rows, f"{name} {params} returned nothing on the real data"


@pytest.mark.parametrize("name,params", CASES, ids=[f"{n}-{'-'.join(p.values()) or 'defaults'}" for n, p in CASES])
def test_simplified_optional_filters_give_the_same_rows(name, params, built):
    """bound_text drops `FILTER(!BOUND(?__p) || …)` for an unbound optional parameter (and keeps
    only the right-hand side for a bound one): the rows must be those of the text as written."""
    import dataclasses

    query = CATALOGUE[name]
    resolve = resolver(built.store, api.citation_canonicalizer(built))
    bound = binding.bindings(query, params, resolve)
    simplified = binding.bound_text(query, bound)
    as_written = binding.bound_text(dataclasses.replace(
        query, params=[dataclasses.replace(p, required=True) for p in query.params]), bound)
    for p in query.params:
        if not p.required and p.variable not in bound:
            assert not re.search(rf"!\s*BOUND\s*\(\s*\?{p.variable}\s*\)\s*\|\|", simplified)
    if re.search(r"FILTER\s*\(\s*!\s*BOUND\s*\(\s*\?__", query.text, re.I):
        assert simplified != as_written

    def rows(text):
        result = built.store.query(text)
        names = [v.value for v in result.variables]
        return sorted(tuple(_norm(results.value(s[v])) for v in names) for s in result)
    assert rows(simplified) == rows(as_written)


# ---- parameters: what users type -----------------------------------------------------------------

def _statute(abbr):
    return iris.statute(abbr)


@pytest.mark.parametrize("param,typed,expected", [
    ("statute", "LAB", _statute("LAB")),
    ("statute", "lab", _statute("LAB")),
    ("statute", "serviceloven", _statute("SL")),
    ("provision", "SL § 52, stk. 3", iris.provision(Provision("SL", (("p", "52"), ("stk", "3"))))),
    ("provision", "servicelovens § 52 stk. 3", iris.provision(Provision("SL", (("p", "52"), ("stk", "3"))))),
    ("provision", "SL", _statute("SL")),
    ("municipality", "Gladsaxe", iris.mint("municipality", code="0159")),
    ("municipality", "gladsaxe", iris.mint("municipality", code="0159")),
    ("municipality", "0159", iris.mint("municipality", code="0159")),
    ("municipality", "159", iris.mint("municipality", code="0159")),
    ("network", "4", iris.mint("network", programme="frikommune-ii", network=4)),
    ("programme", "frikommune-ii", iris.mint("programme", programme="frikommune-ii")),
    ("programme", "II", iris.mint("programme", programme="frikommune-ii")),
    ("network", iris.mint("network", programme="frikommune-ii", network=7),
     iris.mint("network", programme="frikommune-ii", network=7)),
])
def test_parameters_resolve_what_users_type(param, typed, expected, built):
    p = catalogue.Param(name=param, variable=f"_{param}_iri", required=True, kind="iri")
    resolve = resolver(built.store, api.citation_canonicalizer(built))
    assert binding.to_term(p, typed, resolve) == ox.NamedNode(expected)


@pytest.mark.parametrize("param,typed", [("network", "159"), ("municipality", "4"), ("statute", "Gladsaxe"),
                                         ("provision", "SL § 9999"), ("network", "LAB")])
def test_a_value_of_the_wrong_kind_is_a_usage_error(param, typed, built):
    p = catalogue.Param(name=param, variable=f"_{param}_iri", required=True, kind="iri")
    resolve = resolver(built.store, api.citation_canonicalizer(built))
    with pytest.raises(catalogue.QueryError, match=param):
        binding.to_term(p, typed, resolve)


def test_bad_parameters_are_usage_errors(built):
    with pytest.raises(catalogue.QueryError, match="needs parameter provision"):
        q("trials-exempting", {}, built)
    with pytest.raises(catalogue.QueryError, match="no parameter 'netwrk'"):
        q("most-exempted-statutes", {"netwrk": "4"}, built)
    with pytest.raises(catalogue.QueryError, match="not one of"):
        q("most-exempted-statutes", {"kind": "exemption"}, built)
    with pytest.raises(catalogue.QueryError, match="whole number"):
        q("shared-provisions", {"minimum": "two"}, built)


# ---- answers the seeds support -------------------------------------------------------------------

def test_kind_filters_of_most_exempted_statutes(built):
    # Seed 004 table 4.1: the two dispensation rows (l. 1849-1850, 1864-1865) name 13 SL provisions;
    # SL § 76 (l. 1958) and SL § 52 stk. 3 (l. 1989) are "Fritagelse"; FSL and LAB rows too.
    assert "dispensation" in seed_lines("004", 1846, 1850) and "Fritagelse fra serviceloven, § 76" in seed_lines("004", 1958, 1958)
    rows = q("most-exempted-statutes", {"network": "4", "kind": "dispensation"}, built)
    assert [(r[0], r[2], r[3]) for r in rows.rows] == [("SL", 2, 13)]
    rows = q("most-exempted-statutes", {"network": "4", "exclude": "dispensation"}, built)
    assert [(r[0], r[2]) for r in rows.rows] == [("FSL", 5), ("SL", 2), ("LAB", 1)]
    everything = q("most-exempted-statutes", {}, built)
    only_ii = q("most-exempted-statutes", {"programme": "frikommune-ii"}, built)
    assert sum(col(only_ii, "trials")) <= sum(col(everything, "trials"))
    no_udv = q("most-exempted-statutes", {"exclude": "udvidelse"}, built)
    udv = q("most-exempted-statutes", {"kind": "udvidelse"}, built)
    # every exemption has one kind: per statute, trials without udvidelse + with it >= all trials
    total = dict(zip(col(everything, "statute"), col(everything, "trials")))
    for s, n in total.items():
        a = dict(zip(col(no_udv, "statute"), col(no_udv, "trials"))).get(s, 0)
        b = dict(zip(col(udv, "statute"), col(udv, "trials"))).get(s, 0)
        assert max(a, b) <= n <= a + b


def test_trials_exempting_includes_provisions_below(built):
    # SL § 140: network 4's two dispensation rows cite "§ 140, stk. 1 og 3-7" (004 l. 1850, 1865),
    # network 7's "Én handleplan" cites "§§ 140-141" of lov om social service (004 l. 2718-2727).
    assert "§§ 140-141" in seed_lines("004", 2727, 2727)
    rows = q("trials-exempting", {"provision": "SL § 140"}, built)
    trials = set(col(rows, "trial"))
    expect = {iris.mint("trial", programme="frikommune-ii", trial=t) for t in (
        "fokus-paa-inddragelse-og-effekt", "fra-dokumentation-til-styrket-inddragelse-og-relation")}
    assert expect <= trials
    assert {4, 7} <= set(col(rows, "network"))
    by_trial = dict(zip(col(rows, "trial"), col(rows, "provisions")))
    for t in expect:
        assert set(by_trial[t].split(";")) == {f"SL § 140, stk. {n}" for n in (1, 3, 4, 5, 6, 7)}
    # stk. 3 is below § 52, not the other way round (004 l. 1989: "servicelovens § 52 stk. 3")
    stk3 = set(col(q("trials-exempting", {"provision": "servicelovens § 52 stk. 3"}, built), "trial"))
    whole = set(col(q("trials-exempting", {"provision": "SL § 52"}, built), "trial"))
    assert stk3 < whole and expect <= whole and not (expect & stk3)
    # by statute: every trial with an SL exemption
    sl = set(col(q("trials-exempting", {"provision": "serviceloven"}, built), "trial"))
    assert whole <= sl and set(col(q("exemptions", {"statute": "SL"}, built), "trial")) == sl


def test_most_exempted_provisions_by_level(built):
    full = q("most-exempted-provisions", {"network": "4"}, built)
    para = q("most-exempted-provisions", {"network": "4", "level": "paragraph"}, built)
    full_t = dict(zip(col(full, "provision"), col(full, "trials")))
    para_t = dict(zip(col(para, "provision"), col(para, "trials")))
    assert full_t["SL § 140, stk. 3"] == 2 and "SL § 140" not in full_t
    assert para_t["SL § 140"] == 2 and "SL § 140, stk. 3" not in para_t
    assert para_t["SL § 54"] == 2 and "SL § 54, stk. 2, 3. pkt." in full_t
    assert all(re.fullmatch(r"\S+ § \d+( [a-z])?", p) for p in para_t if "kap." not in p)
    assert col(full, "trials") == sorted(col(full, "trials"), reverse=True)


def test_shared_provisions_agree_with_the_exemptions(built):
    ex = q("exemptions", {"programme": "frikommune-ii"}, built)
    nets: dict[str, set] = {}
    for r in ex.dicts():
        if r["provision"] and r["network"] is not None:
            nets.setdefault(r["provision"], set()).add(r["network"])
    expected = {p: n for p, n in nets.items() if len(n) > 1}
    rows = q("shared-provisions", {}, built)
    got = {r["provision"]: {int(x) for x in r["network_numbers"].split(";")} for r in rows.dicts()}
    assert got == expected
    # SL § 70 in networks 4 (004 l. 1850) and 7 (l. 2726); SL § 54 only at paragraph level
    assert got["SL § 70"] == {4, 7} and "SL § 54" not in got
    para = {r["provision"] for r in q("shared-provisions", {"level": "paragraph"}, built).dicts()}
    assert "SL § 54" in para and set(got) <= para | set(got)
    assert q("shared-provisions", {"minimum": "99"}, built).rows == []


def test_matrix_rows_add_up(built):
    rows = q("statute-network-matrix", {}, built)
    assert rows.columns == ["statute", "total"] + [f"network_{n}" for n in range(1, 9)]
    for r in rows.rows:
        assert r[1] == sum(r[2:])  # each exemption belongs to one trial of one network
    by_trials = {r[0]: r[5] for r in q("statute-network-matrix", {"count": "trials"}, built).rows}
    # network 4 (seed 004 table 4.1, counted in test_skeleton): FSL 5 trials, SL 4, LAB 1
    assert (by_trials["FSL"], by_trials["SL"], by_trials["LAB"]) == (5, 4, 1)


def test_municipality_trials_by_name_and_code(built):
    # 004 l. 1854: "Forsøget gennemføres i Gladsaxe Kommune" (Fokus på inddragelse og effekt);
    # l. 1834: Gladsaxe is a member of network 4.
    assert "Gladsaxe" in seed_lines("004", 1854, 1854) and "Gladsaxe" in seed_lines("004", 1834, 1834)
    rows = q("municipality-trials", {"municipality": "Gladsaxe"}, built)
    assert rows.rows == q("municipality-trials", {"municipality": "159"}, built).rows
    ties = dict(zip(col(rows, "trial"), col(rows, "tie")))
    assert ties[iris.mint("trial", programme="frikommune-ii", trial="fokus-paa-inddragelse-og-effekt")] == "named"
    assert iris.mint("trial", programme="frikommune-ii", trial="fra-dokumentation-til-styrket-inddragelse-og-relation") not in ties
    assert all(t.startswith(B + "id/trial/") for t in ties)
    net4 = {t for t, n in zip(col(rows, "trial"), col(rows, "network")) if n == 4}
    approved = q("municipality-trials", {"municipality": "Gladsaxe", "status": "approved"}, built)
    assert set(col(approved, "status")) == {"approved"} and len(approved.rows) < len(rows.rows) and net4


def test_fixed_columns_of_issue_6():
    expected = {
        "trials": ["network", "trial", "parent", "name_da", "status", "start_date", "municipalities"],
        "exemptions": ["network", "trial", "statute", "provision", "kind", "citation"],
        "municipalities": ["code", "name", "networks"],
        "applications": ["network", "application", "name_da", "decision", "round", "reason"],
        "statutes": ["statute", "title", "type", "eli"],
        "most-exempted-statutes": ["statute", "title", "trials", "provisions"],
    }
    for name, columns in expected.items():
        assert CATALOGUE[name].columns == columns


def test_fixed_column_queries_match_the_records(built):
    recs = built.records
    trials = q("trials", {}, built)
    assert len(trials.rows) == len(recs.trials)
    muni = {r["code"]: r for r in q("municipalities", {}, built).dicts()}
    assert muni["0159"]["name"] == "Gladsaxe" and {"4", "5"} <= set(muni["0159"]["networks"].split(";"))  # 004 l. 1834, 2221
    assert len(muni) == len(recs.municipalities)
    apps = q("applications", {}, built)
    assert len(apps.rows) == len(recs.applications)
    rejected = q("applications", {"decision": "rejected"}, built)
    assert len(rejected.rows) == sum(1 for a in recs.applications if a["decision"] == "rejected")
    st = {r["statute"]: r for r in q("statutes", {}, built).dicts()}
    assert st["SL"]["title"] == "Lov om social service" and st["SL"]["type"] == "lov"
    ex = q("exemptions", {}, built)
    assert sum(len(e.get("cites", []) or []) for t in recs.trials for e in t.get("exemptions", []) or []) == len(ex.rows)
    assert all(r["provision"] is None or r["provision"].startswith(r["statute"] + " ") for r in ex.dicts())


def test_trials_without_exemption(built):
    # 004: "Der er etableret hjemmel til psykologbehandlingen i jobcenterregi i lov om frikommuner."
    rows = {r["trial"]: r for r in q("trials-without-exemption", {}, built).dicts()}
    psyk = rows[iris.mint("trial", programme="frikommune-ii", trial="psykologbehandling")]
    assert psyk["reason"] == "legal basis" and "lov om frikommuner" in psyk["text"]
    with_exemption = set(col(q("exemptions", {}, built), "trial"))
    assert not (set(rows) & with_exemption)
    parents = {t["parent"] for t in built.records.trials if t.get("parent")}
    assert not any(t.rsplit("/", 1)[1] in parents for t in rows)


def test_made_permanent_follows_the_outcome_records(built):
    default = q("made-permanent", {}, built).dicts()
    want = {(o["kind"], iris.mint("outcome", outcome=o["id"])) for o in built.records.outcomes if o["kind"] != "not-continued"}
    assert {(r["kind"], r["outcome"]) for r in default if r["outcome"]} == want
    for r in q("made-permanent", {"kind": "not-continued"}, built).dicts():
        assert r["kind"] == "not-continued"


_SMALL = """
@prefix fk: <https://w3id.org/fkgraph/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix t: <https://example.org/trial/> .
@prefix o: <https://example.org/outcome/> .
@prefix n: <https://example.org/network/> .
n:1 a fk:Network ; fk:number 1 .
t:a a fk:Trial ; fk:network n:1 ; rdfs:label "Forsøg A"@da ; fk:status fk:status-made-permanent ;
    fk:outcomeText "Gjort permanent"@da .
t:b a fk:Trial ; rdfs:label "Forsøg B"@da .
o:x a fk:Outcome ; fk:outcomeKind fk:outcome-recommended-permanent ; rdfs:label "Anbefalet"@da ; fk:concerns t:a , t:b .
o:y a fk:Outcome ; fk:outcomeKind fk:outcome-recommended-permanent ; rdfs:label "Uden forsøg"@da .
o:z a fk:Outcome ; fk:outcomeKind fk:outcome-not-continued ; fk:concerns t:b .
"""


def test_made_permanent_rows_on_a_small_graph():
    """Both branches (outcomes, and trials whose status is made-permanent) with their networks and
    names; an outcome that concerns no trial is one row without a trial (the network and name
    lookups are nested under fk:concerns), and pyoxigraph and rdflib agree."""
    import rdflib

    store = ox.Store()
    store.load(_SMALL.encode(), format=ox.RdfFormat.TURTLE)
    g = rdflib.Graph().parse(data=_SMALL, format="turtle")
    query = CATALOGUE["made-permanent"]
    for params, want in [
        ({}, [["made-permanent", None, "Gjort permanent", 1, "https://example.org/trial/a", "Forsøg A"],
              ["recommended-permanent", "https://example.org/outcome/x", "Anbefalet", 1, "https://example.org/trial/a", "Forsøg A"],
              ["recommended-permanent", "https://example.org/outcome/x", "Anbefalet", None, "https://example.org/trial/b", "Forsøg B"],
              ["recommended-permanent", "https://example.org/outcome/y", "Uden forsøg", None, None, None]]),
        ({"kind": "not-continued"}, [["not-continued", "https://example.org/outcome/z", None, None, "https://example.org/trial/b", "Forsøg B"]]),
    ]:
        assert results.run(query, store, params).rows == want
        text = binding.bound_text(query, binding.bindings(query, params))
        theirs = sorted([[None if t is None else str(t) for t in row] for row in g.query(text)], key=repr)
        assert theirs == sorted([[None if v is None else str(v) for v in r] for r in want], key=repr)


def test_sources_every_fact_has_one(built):
    rows = q("sources", {}, built).dicts()
    assert not [r for r in rows if r["document"] is None], "facts without a source"
    trials_004 = sum(1 for t in built.records.trials if any(s["doc"] == "004" for s in t["_sources"]))
    assert {(r["document"], r["type"]): r["facts"] for r in rows}[("004", "Trial")] == trials_004


def test_network_overview(built):
    rows = {r["network"]: r for r in q("network-overview", {}, built).dicts()}
    assert rows[4]["members"] == 3  # 004 l. 1834: Gladsaxe, Guldborgsund, Ikast-Brande
    assert set(rows) == {n["number"] for n in built.records.networks}
    for r in rows.values():
        assert r["approved"] + r["expected"] + r["possible"] <= r["trials"]
        assert r["rejected"] + r["partly_granted"] + r["withdrawn"] + r["not_needed"] + r["general_law"] <= r["applications"]
    one = q("network-overview", {"network": "4"}, built).dicts()
    assert one == [rows[4]]


# ---- the command line ----------------------------------------------------------------------------

def test_query_help_after_name_describes_the_query():
    result = run("query", "most-exempted-statutes", "--help")
    assert result.exit_code == 0
    out = result.output
    assert CATALOGUE["most-exempted-statutes"].summary in out
    for name in ("network", "programme", "kind", "exclude"):
        assert re.search(rf"^  {name}\s+optional", out, re.M), name
    assert "udvidelse" in out and "Columns: statute, title, trials, provisions" in out
    assert "-p provision=" in run("query", "trials-exempting", "-h").output
    assert "query [OPTIONS] [NAME]" in run("query", "--help").output
    assert run("query", "no-such-query", "--help").exit_code == 2


def test_queries_lists_the_catalogue():
    result = run("queries", "--format", "json")
    rows = json.loads(result.output)
    assert {r["name"] for r in rows} == set(CATALOGUE)
    shared = next(r for r in rows if r["name"] == "shared-provisions")
    assert "minimum=2" in shared["parameters"] and "level=provision" in shared["parameters"]


@pytest.mark.parametrize("fmt", ["table", "csv", "tsv", "json", "jsonl", "markdown"])
def test_every_output_format(fmt, built):
    expected = q("most-exempted-statutes", {"network": "4"}, built)
    result = run("query", "most-exempted-statutes", "-p", "network=4", "--format", fmt)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "\x1b[" not in out  # no colours
    if fmt in ("csv", "tsv"):
        got = list(csv.reader(io.StringIO(out), delimiter="," if fmt == "csv" else "\t"))
        assert got[0] == expected.columns and [r[0] for r in got[1:]] == col(expected, "statute")
    elif fmt == "json":
        assert json.loads(out) == expected.dicts()
    elif fmt == "jsonl":
        assert [json.loads(l) for l in out.splitlines()] == expected.dicts()
    elif fmt == "markdown":
        lines = out.splitlines()
        assert [c.strip() for c in lines[0].strip("|").split("|")] == expected.columns
        assert lines[1].startswith("|:--") and lines[1].endswith("--:|")  # text left, counts right
        assert len(lines) == 2 + len(expected.rows)
    else:
        lines = out.splitlines()
        assert lines[0].split() == expected.columns and set(lines[1].replace(" ", "")) == {"-"}
        assert len(lines) == 2 + len(expected.rows)
        # numbers right-aligned: the last column (provisions, a count) ends each line
        assert all(l.rstrip().endswith(str(r[-1])) for l, r in zip(lines[2:], expected.rows))


def test_table_keeps_values_as_given():
    rows = results.Rows(["code", "n", "name"], [["0159", 4, "a | b"], ["0851", 12, None]])
    table = results.render(rows, "table").splitlines()
    assert table[2].split() == ["0159", "4", "a", "|", "b"] and table[3].split() == ["0851", "12"]
    assert table[2].index("4") == table[3].index("12") + 1  # right-aligned
    md = results.render(rows, "markdown").splitlines()
    assert len(md) == 4 and "| a \\| b" in md[2]  # a | in a cell does not split it
    assert [c.strip() for c in md[3].strip("|").split("|")] == ["0851", "12", ""]


@pytest.mark.parametrize("args,message", [
    (["-p", "network"], "NAME=VALUE"),
    (["-p", "netwrk=4"], "no parameter"),
    (["-p", "kind=everything"], "not one of"),
    (["-p", "network=Atlantis"], "network"),
])
def test_cli_usage_errors_exit_2(args, message):
    result = CliRunner().invoke(cli, ["query", "most-exempted-statutes", *args])
    assert result.exit_code == 2 and message in result.output
    assert "Traceback" not in result.output


# ---- list cells: sorted, so every engine gives the same text ------------------------------------

LISTS = {"municipalities": ["networks"], "shared-provisions": ["network_numbers"],
         "trials-exempting": ["provisions", "kinds"], "trials-without-exemption": ["legal_basis"],
         "trials": ["municipalities"], "status-history": ["lines"], "observations": ["involved", "lines"]}


def test_list_columns_are_inferred_from_group_concat():
    assert {n: x.lists for n, x in CATALOGUE.items() if x.lists} == LISTS


def test_list_columns_tolerate_case_spacing_and_quotes(tmp_path):
    f = tmp_path / "x.rq"
    f.write_text("SELECT ?a (group_concat( DISTINCT STR(?b) ;\n  separator = ';' ) as ?bs)\n"
                 "  (GROUP_CONCAT(?c; separator=\"|\") AS ?cs) (COUNT(?d) AS ?n)\nWHERE { ?a ?b ?c }\n")
    x = catalogue.load(f)
    assert x.columns == ["a", "bs", "cs", "n"] and x.lists == ["bs"]


def test_natural_key_orders_numbers_numerically():
    assert sorted(["§ 140", "§ 9", "§ 48"], key=results.natural_key) == ["§ 9", "§ 48", "§ 140"]
    assert sorted(["SL § 140", "SL § 52, stk. 3"], key=results.natural_key) == ["SL § 52, stk. 3", "SL § 140"]
    assert sorted(["10", "4"], key=results.natural_key) == ["4", "10"]


@pytest.mark.parametrize("name", sorted(LISTS))
def test_every_list_cell_of_the_default_output_is_sorted(name, built):
    rows = q(name, EXAMPLES.get(name, {}), built)
    cells = [d[c] for d in rows.dicts() for c in CATALOGUE[name].lists if d[c]]
    assert cells, f"{name} gave no list cells on the real data"
    for cell in cells:
        items = cell.split(";")
        assert items == sorted(items, key=lambda t: (results.natural_key(t), t)), cell


def test_sort_lists_leaves_empty_cells_and_other_columns_alone():
    x = catalogue.Query(name="x", path=QDIR / "x.rq", text="", columns=["a", "l"], lists=["l"])
    rows = results.sort_lists(x, results.Rows(["a", "l"], [["b;a", "10;4;SL § 9"], ["z;y", None], ["", ""]]))
    assert rows.rows == [["b;a", "4;10;SL § 9"], ["z;y", None], ["", ""]]


# ---- issue 23: ad-hoc SPARQL, helpful parameters, status, tables that fit ----------------------

ASK_ALL = "ASK { ?s ?p ?o }"
CONSTRUCT_TYPES = "CONSTRUCT { ?s a ?c } WHERE { ?s a ?c }"
LAB = B + "id/statute/lab"


def _parsed(data: bytes, fmt=ox.RdfFormat.N_TRIPLES) -> set:
    return {q.triple for q in ox.parse(data, format=fmt)}


def test_ask_gives_one_result_column_from_text_stdin_and_file(tmp_path):
    f = tmp_path / "nothing.rq"
    f.write_text("ASK { ?s <urn:x:no-such-property> ?o }")
    for args, stdin, answer in ((["--sparql", ASK_ALL], None, True), (["-"], ASK_ALL, True), ([str(f)], None, False)):
        r = CliRunner().invoke(cli, ["query", *args, "-f", "json"], input=stdin)
        assert r.exit_code == 0, r.output
        assert json.loads(r.stdout) == [{"result": answer}]


def test_construct_and_describe_give_rdf_in_any_export_format(built):
    r = CliRunner().invoke(cli, ["query", "-", "-f", "ntriples"], input=CONSTRUCT_TYPES)
    assert r.exit_code == 0, r.output
    typed = _parsed(r.stdout_bytes)
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    assert typed == {q.triple for q in built.store.quads_for_pattern(None, rdf_type, None, ox.DefaultGraph())}
    for fmt, ox_fmt in (("turtle", ox.RdfFormat.TURTLE), ("rdfxml", ox.RdfFormat.RDF_XML), ("trig", ox.RdfFormat.TRIG)):
        r = CliRunner().invoke(cli, ["query", "--sparql", f"DESCRIBE <{LAB}>", "-f", fmt])
        assert r.exit_code == 0, r.output
        described = _parsed(r.stdout_bytes, ox_fmt)
        assert described == {q.triple for q in built.store.quads_for_pattern(ox.NamedNode(LAB), None, None, ox.DefaultGraph())}
    assert CliRunner().invoke(cli, ["query", "--sparql", CONSTRUCT_TYPES]).stdout.startswith("@prefix")  # Turtle by default


@pytest.mark.parametrize("args,message", [
    (["--sparql", CONSTRUCT_TYPES, "-f", "csv"], "gives a graph"),
    (["most-exempted-statutes", "-f", "turtle"], "gives rows"),
    (["most-exempted-statutes", "-o", "x.ttl"], "gives rows"),
    (["most-exempted-statutes", "-f", "json", "-o", "x.csv"], "the extension says csv"),
    (["trials", "--sparql", ASK_ALL], "not both"),
    (["--sparql", "SELEC ?s WHERE { ?s ?p ?o }"], "syntax error"),
    (["trials", "-p", "status=approved", "-p", "status=expected"], "given twice"),
])
def test_answer_usage_errors_exit_2(args, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(cli, ["query", *args])
    assert r.exit_code == 2 and message in r.output and len(r.output.strip().splitlines()) == 1, r.output
    assert not list(tmp_path.iterdir())


def test_output_file_takes_its_format_from_the_extension(tmp_path):
    r = CliRunner().invoke(cli, ["query", "most-exempted-statutes", "-o", str(tmp_path / "a.tsv")])
    assert r.exit_code == 0 and r.stdout == ""
    assert (tmp_path / "a.tsv").read_text().splitlines()[0] == "statute\ttitle\ttrials\tprovisions"
    r = CliRunner().invoke(cli, ["query", "--sparql", f"DESCRIBE <{LAB}>", "-o", str(tmp_path / "lab.nt")])
    assert r.exit_code == 0 and _parsed((tmp_path / "lab.nt").read_bytes())


@pytest.fixture(scope="module")
def endpoint_url(built):
    from fkgraph.sparql import upload
    from servers import Oxigraph

    with Oxigraph() as server:
        upload.push(built.store, server.url)
        yield server.url


@pytest.mark.server
def test_ask_construct_describe_remotely_as_embedded(endpoint_url):
    for args, fmt in ((["--sparql", ASK_ALL], "csv"), (["--sparql", CONSTRUCT_TYPES], "ntriples"),
                      (["--sparql", f"DESCRIBE <{LAB}>"], "ntriples"), (["most-exempted-statutes"], "csv")):
        here = CliRunner().invoke(cli, ["query", *args, "-f", fmt])
        there = CliRunner().invoke(cli, ["query", *args, "-f", fmt, "--endpoint", endpoint_url])
        assert here.exit_code == there.exit_code == 0, there.output
        if fmt == "ntriples":
            assert _parsed(here.stdout_bytes) == _parsed(there.stdout_bytes) != set()
        else:
            assert here.stdout == there.stdout


@pytest.mark.parametrize("typed", ["Gladsaxe Kommune", "gladsaxe", "GLADSAXE"])
def test_municipality_names_match_loosely(typed, built):
    assert q("municipality-trials", {"municipality": typed}, built).rows == \
        q("municipality-trials", {"municipality": "0159"}, built).rows


@pytest.mark.parametrize("typed,code", [("Ikast Brande", "0756"), ("Kobenhavn", "0101"), ("Koebenhavn", "0101"),
                                        ("Københavns Kommune", "0101"), ("Århus", "0751"), ("aarhus kommune", "0751")])
def test_variant_spellings_name_one_municipality(typed, code, built):
    resolve = resolver(built.store)
    p = CATALOGUE["municipality-trials"].param("municipality")
    assert resolve(p, typed) == ox.NamedNode(B + f"id/municipality/{code}")


def test_former_spelling_is_data_not_code(built):
    alt = ox.NamedNode("http://www.w3.org/2004/02/skos/core#altLabel")
    assert ox.Literal("Århus", language="da") in {
        q.object for q in built.store.quads_for_pattern(ox.NamedNode(B + "id/municipality/0751"), alt, None)}


@pytest.mark.parametrize("param,typed,closest", [
    ("municipality", "Gladsax", "Gladsaxe"), ("provision", "SL § 1400", "SL § 140"),
    ("programme", "frikomune-ii", "frikommune-ii")])
def test_an_unresolved_value_lists_the_closest_names(param, typed, closest):
    name = "municipality-trials" if param == "municipality" else "trials-exempting" if param == "provision" \
        else "most-exempted-statutes"
    r = CliRunner().invoke(cli, ["query", name, "-p", f"{param}={typed}"])
    assert r.exit_code == 2 and "closest: " in r.output
    assert closest in r.output.split("closest: ", 1)[1].strip().split(", ")


COUNTING = ["most-exempted-statutes", "most-exempted-provisions", "shared-provisions", "statute-network-matrix"]


@pytest.mark.parametrize("name", COUNTING)
def test_counting_queries_take_a_status(name, built):
    p = CATALOGUE[name].param("status")
    assert not p.required and {"approved", "expected", "possible"} <= set(p.enum)
    params = {"minimum": "1"} if name == "shared-provisions" else {}
    everything = q(name, params, built)
    assert q(name, {**params, "status": ""}, built).rows == everything.rows  # no value: as before
    total = sum(r[everything.columns.index("trials" if "trials" in everything.columns else "total")]
                for r in everything.rows)
    split = sum(sum(r[everything.columns.index("trials" if "trials" in everything.columns else "total")]
                    for r in q(name, {**params, "status": s}, built).rows) for s in p.enum)
    assert 0 < split and (split == total if name != "shared-provisions" else split <= total)


def test_most_exempted_statutes_by_status_counts_the_trials_of_that_status(built):
    status = {r[1]: r[4] for r in q("trials", {}, built).rows}
    exemptions = q("exemptions", {}, built)
    for s in ("approved", "expected"):
        expected: dict[str, set] = {}
        for d in exemptions.dicts():
            if status.get(d["trial"]) == s:
                expected.setdefault(d["statute"], set()).add(d["trial"])
        got = {r[0]: r[2] for r in q("most-exempted-statutes", {"status": s}, built).rows}
        assert got == {k: len(v) for k, v in expected.items()} and got


def test_terminal_table_fits_and_shows_prefixed_names(built):
    rows = q("trials", {}, built)
    prefixes = {**iris_prefixes(), "id": B + "id/"}
    for width in (60, 80, 120):
        table = results.render(rows, "table", width=width, prefixes=prefixes).splitlines()
        assert max(len(l) for l in table) <= width and len(table) == 2 + len(rows.rows)
    wide = results.render(rows, "table", prefixes=prefixes)
    assert "id:trial/frikommune-ii/" in wide and B not in wide
    assert B + "id/trial/" in results.render(rows, "csv") and B + "id/trial/" in results.render(rows, "json")


def iris_prefixes() -> dict:
    from fkgraph.rdf.terms import PREFIXES
    return dict(PREFIXES)


@pytest.mark.server
def test_push_reads_gzipped_files(tmp_path, built):
    from servers import Oxigraph

    dump = tmp_path / "g.ttl.gz"
    assert CliRunner().invoke(cli, ["export", "-o", str(dump)]).exit_code == 0
    with Oxigraph() as server:
        r = CliRunner().invoke(cli, ["push", str(dump), "--endpoint", server.url, "--replace"])
        assert r.exit_code == 0, r.output
        there = CliRunner().invoke(cli, ["query", "most-exempted-statutes", "--endpoint", server.url])
    assert there.stdout == CliRunner().invoke(cli, ["query", "most-exempted-statutes", "-f", "csv"]).stdout
    assert f"now holds {len(built)}" in r.output
