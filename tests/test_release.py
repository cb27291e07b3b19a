"""What a published repository carries (LICENSE, CITATION.cff, CHANGELOG.md) and the release
metadata in data/release.yaml: one version and one set of dates, the same in every file, in
dcat.ttl and on the site's index."""
from __future__ import annotations

import importlib
import re
import tomllib

import pytest
import rdflib
import yaml
from click.testing import CliRunner

import fkgraph
from fkgraph import api
from fkgraph import config
from fkgraph.cli import cli

from conftest import ROOT

export = importlib.import_module("fkgraph.rdf.serialize")
catalog = importlib.import_module("fkgraph.publishing.catalog")
releases = importlib.import_module("fkgraph.publishing.release")
site = importlib.import_module("fkgraph.publishing.website")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
DCT = rdflib.Namespace("http://purl.org/dc/terms/")
XSD = rdflib.XSD
RELEASE = ROOT / "data" / "release.yaml"
CHANGELOG_ENTRY = re.compile(r"^## \[(?P<version>[0-9][^\]]*)\] - (?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})\s*$", re.M)


@pytest.fixture(scope="module")
def release():
    return releases.load_release(ROOT / "data")


@pytest.fixture(scope="module")
def published(built, tmp_path_factory, monkeypatch_module):
    monkeypatch_module.delenv("SOURCE_DATE_EPOCH", raising=False)
    out = tmp_path_factory.mktemp("pub")
    return catalog.publish(built.store, out, "https://example.org/fkgraph/", built.base,
                          endpoint="https://example.org/fkgraph/sparql", gzip=True)


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


# ---- the files a published repository carries --------------------------------------------------

def test_licence_citation_and_changelog_exist():
    for name in ("LICENSE", "CITATION.cff", "CHANGELOG.md"):
        assert (ROOT / name).is_file(), name
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "MIT License" in licence and "Copyright (c) 2026 the fkgraph developers" in licence
    assert "Creative Commons Attribution 4.0 International" in licence
    assert "https://creativecommons.org/licenses/by/4.0/" in licence
    cc = licence[licence.index("CC BY 4.0\n===="):]  # the second part names what it covers
    assert all(f in cc for f in ("data/", "ontology/", "queries/", "dumps")) and "attribution" in cc.lower()


def test_release_yaml_says_what_the_data_covers(release):
    assert release.path == RELEASE
    assert (release.version, release.issued, release.modified) == ("0.3.0", "2026-12-04", "2026-12-04")
    assert (release.start, release.end, release.status_as_of) == ("2012-01-01", "2020-12-31", "2018-02-01")
    assert "2012-2020" in release.statement["en"] and "three examples" in release.statement["en"]
    assert "February 2018" in release.statement["en"] and "februar 2018" in release.statement["da"]
    assert "tre eksempler" in release.statement["da"]


def test_one_version_and_date_in_pyproject_citation_and_changelog(release):
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["version"] == release.version == fkgraph.__version__
    assert project["license"] == {"file": "LICENSE"}

    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0" and cff["type"] == "dataset"
    assert cff["version"] == release.version
    assert str(cff["date-released"]) == release.modified
    assert cff["license"] == ["MIT", "CC-BY-4.0"]
    assert cff["authors"] == [{"name": "The fkgraph developers"}]
    assert cff["title"] and cff["abstract"] and cff["keywords"]

    entries = CHANGELOG_ENTRY.findall((ROOT / "CHANGELOG.md").read_text(encoding="utf-8"))
    assert entries[0] == (release.version, release.modified), entries
    assert [v for v, _ in entries] == sorted({v for v, _ in entries}, key=lambda v: [int(n) for n in v.split(".")],
                                             reverse=True), "newest first, each version once"


# ---- dcat.ttl --------------------------------------------------------------------------------------

def test_dcat_gives_the_release_dates_to_catalogue_dataset_and_every_distribution(published, release):
    g = rdflib.Graph().parse(published.dcat, format="turtle")
    catalogue = g.value(predicate=rdflib.RDF.type, object=DCAT.Catalog, any=False)
    ds = g.value(predicate=rdflib.RDF.type, object=DCAT.Dataset, any=False)
    dists = list(g.objects(ds, DCAT.distribution))
    assert len(dists) == len(published.dumps) == 6
    for node in [catalogue, ds, *dists]:
        assert list(g.objects(node, DCT.issued)) == [rdflib.Literal(release.issued, datatype=XSD.date)], node
        assert list(g.objects(node, DCT.modified)) == [rdflib.Literal(release.modified, datatype=XSD.date)], node
    assert list(g.objects(ds, DCAT.version)) == [rdflib.Literal("0.3.0")]
    period = g.value(ds, DCT.temporal)
    assert (period, rdflib.RDF.type, DCT.PeriodOfTime) in g
    assert g.value(period, DCAT.startDate) == rdflib.Literal(release.start, datatype=XSD.date) == \
        rdflib.Literal("2012-01-01", datatype=XSD.date)
    assert g.value(period, DCAT.endDate) == rdflib.Literal(release.end, datatype=XSD.date)
    assert published.release == release


def test_dcat_description_no_longer_calls_the_data_complete_for_2012_2020(published):
    g = rdflib.Graph().parse(published.dcat, format="turtle")
    ds = g.value(predicate=rdflib.RDF.type, object=DCAT.Dataset, any=False)
    descriptions = {d.language: str(d) for d in g.objects(ds, DCT.description)}
    assert set(descriptions) == {"da", "en"}
    for text in list(descriptions.values()) + list(catalog.DESCRIPTION.values()):
        assert "2012-2020" not in text and "trials 2012" not in text
    assert "programme II (2016-2020) in full" in descriptions["en"]
    assert "programme I (2012-2015) only through three examples" in descriptions["en"]
    assert "as of February 2018" in descriptions["en"]
    assert "frikommuneforsøg I (2012-2015) kun gennem tre eksempler" in descriptions["da"]
    assert "februar 2018" in descriptions["da"]


def test_source_date_epoch_overrides_modified_only(built, tmp_path, monkeypatch, release):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")  # 2027-01-15
    pub = catalog.publish(built.store, tmp_path, "https://example.org/fkgraph/", built.base)
    g = rdflib.Graph().parse(pub.dcat, format="turtle")
    assert {str(o) for o in g.objects(None, DCT.modified)} == {"2027-01-15"}
    assert {str(o) for o in g.objects(None, DCT.issued)} == {release.issued}
    assert pub.release.modified == "2027-01-15" and pub.release.issued == release.issued


def test_dcat_takes_the_release_it_is_given(release):
    other = releases.Release("1.2.3", "2026-12-04", "2027-03-01", "2016-01-01", "2020-12-31", "2018-02-01",
                           release.statement)
    g = rdflib.Graph().parse(data=export.ntriples(catalog.dcat([], "https://example.org/fkgraph/", release=other)).decode(),
                             format="nt")
    ds = g.value(predicate=rdflib.RDF.type, object=DCAT.Dataset, any=False)
    assert str(g.value(ds, DCAT.version)) == "1.2.3" and str(g.value(ds, DCT.modified)) == "2027-03-01"
    assert str(g.value(g.value(ds, DCT.temporal), DCAT.startDate)) == "2016-01-01"


def test_no_data_date_left():
    assert not hasattr(catalog, "data_date") and not hasattr(export, "data_date")


# ---- a broken release.yaml ---------------------------------------------------------------------------

def _with(tmp_path, text: str):
    path = tmp_path / "release.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("key", ["issued", "modified", "status_as_of"])
@pytest.mark.parametrize("bad", [
    "2026-13-04",            # no 13th month
    "2026-12-4",             # not YYYY-MM-DD
    "04-12-2026",
    "2026-12",
    '"2026-02-30"',
    "2026-12-04T10:00:00",
])
def test_a_bad_date_names_the_file_the_line_and_the_key(tmp_path, bad, key):
    text = RELEASE.read_text(encoding="utf-8")
    text, n = re.subn(rf"^{key}: \S+", f"{key}: {bad}", text, count=1, flags=re.M)
    assert n == 1
    line = next(n for n, l in enumerate(text.split("\n"), 1) if l.startswith(f"{key}:"))
    path = _with(tmp_path, text)
    with pytest.raises(releases.ReleaseError) as err:
        releases.load_release(path)
    message = str(err.value)
    assert message.startswith(f"{path}:{line}: {key}: "), message
    assert "YYYY-MM-DD" in message and "\n" not in message


@pytest.mark.parametrize("drop,key", [
    ("version", "version"), ("issued", "issued"), ("coverage", "coverage"), ("status_as_of", "status_as_of")])
def test_a_missing_key_names_the_file_and_the_key(tmp_path, drop, key):
    text = re.sub(rf"^{drop}:.*\n", "", RELEASE.read_text(encoding="utf-8"), count=1, flags=re.M)
    path = _with(tmp_path, text)
    with pytest.raises(releases.ReleaseError) as err:
        releases.load_release(path)
    assert str(err.value).startswith(f"{path}: {key}: missing;"), str(err.value)


def test_a_missing_nested_key_and_a_missing_file(tmp_path):
    text = RELEASE.read_text(encoding="utf-8").replace("coverage: {start: 2012-01-01, end: 2020-12-31}",
                                                       "coverage: {start: 2012-01-01}")
    path = _with(tmp_path, text)
    with pytest.raises(releases.ReleaseError, match=rf"^{re.escape(str(path))}:\d+: coverage\.end: missing;"):
        releases.load_release(path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(releases.ReleaseError, match=r"empty/release\.yaml: cannot read the release metadata"):
        releases.load_release(tmp_path / "empty")
    with pytest.raises(releases.ReleaseError, match=r"version: 1\.0 is not a version; write it as a quoted string"):
        releases.load_release(_with(tmp_path, RELEASE.read_text(encoding="utf-8").replace('version: "0.3.0"', "version: 1.0")))


def test_publish_and_site_fail_at_once_on_a_bad_release_yaml(home, tmp_path):
    path = config.data_dir(home) / "release.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("issued: 2026-12-04", "issued: 2026-12-40"), encoding="utf-8")
    with pytest.raises(releases.ReleaseError, match=rf"^{re.escape(str(path))}:\d+: issued: '2026-12-40' is not a date"):
        api.publish(tmp_path / "p", home)
    assert not (tmp_path / "p").exists()  # nothing built, nothing written
    result = CliRunner().invoke(cli, ["--home", str(home), "site", "--output", str(tmp_path / "s"), "--no-validate"])
    assert result.exit_code == 1 and str(path) in result.output and "issued" in result.output, result.output
    assert not (tmp_path / "s").exists()


# ---- the site's index ------------------------------------------------------------------------------

@pytest.mark.parametrize("later", [False, True])
def test_the_site_index_shows_the_statement_version_and_release_date(built, tmp_path, release, later):
    if later:  # a later release shows the first one's date too
        release = releases.Release("0.3.0", release.issued, "2027-02-01", release.start, release.end,
                                 release.status_as_of, release.statement)
    out = tmp_path / "public"
    site.build(built, out, queries_dir=config.queries_dir(ROOT), ontology_file=config.ontology_file(ROOT),
               base_url="https://example.org/fkgraph/", release=release)
    text = (out / "index.html").read_text(encoding="utf-8")
    # what a reader sees: the schema.org Dataset in the head repeats dcat.ttl's description for machines
    text = re.sub(r'<script type="application/ld\+json">.*?</script>', "", text, flags=re.S)
    for lang in ("da", "en"):
        assert text.count(release.statement[lang].replace("'", "&#39;")) == 1, lang
        assert catalog.SUMMARY[lang].replace("'", "&#39;") in text
        assert catalog.COVERAGE[lang].replace("'", "&#39;") not in text  # said once, by the statement
    assert f'Version {release.version}, udgivet <time datetime="{release.modified}">{release.modified}</time>' in text
    assert f"Version {release.version}, released {release.modified}" in text
    assert (f"first release {release.issued}" in text) is later
    assert "2012-2020:" not in text  # the old description ("trials 2012-2020: …") is gone
    dcat = rdflib.Graph().parse(out / "dcat.ttl", format="turtle")
    assert {str(o) for o in dcat.objects(None, DCAT.version)} == {release.version}
