"""One settings object: `--home` and `--base` reach every command, and bad ones are refused at once."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import rdflib
from click.testing import CliRunner

from fkgraph import api, config
from fkgraph.cli import cli
from fkgraph.errors import UsageError

from conftest import ROOT

BASE = "https://example.org/x/"
DEFAULT = config.DEFAULT_BASE


def run(*args, home=ROOT, cache: Path | None = None):
    env = {"FKGRAPH_CACHE": str(cache)} if cache else {}
    return CliRunner().invoke(cli, ["--home", str(home), "--base", BASE, *args], env=env)


def minted(text: str) -> tuple[bool, bool]:
    """(mentions an IRI under BASE, mentions one under the default base)."""
    return f"{BASE}id/" in text, f"{DEFAULT}id/" in text


def test_settings_from_options_environment_and_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("FKGRAPH_CACHE", str(tmp_path / "c"))
    s = config.settings(home=ROOT, base=BASE)
    assert (s.home, s.base, s.cache_dir) == (ROOT.resolve(), BASE, tmp_path / "c")
    assert s.data_dir == ROOT.resolve() / "data" and s.queries_dir == ROOT.resolve() / "queries"
    assert config.settings(s) is s and api.settings(s, "https://example.org/y/").base == "https://example.org/y/"
    assert config.settings(home=ROOT, cache=False).cache_dir is None


@pytest.mark.parametrize("bad", ["javascript:alert(1)", "https://example.org/no-slash", "ftp://example.org/",
                                 "https://example.org/a b/", "https://example.org/" + "x" * 300 + "/", ""])
def test_a_base_that_cannot_prefix_iris_is_a_usage_error(bad):
    with pytest.raises(UsageError, match="--base"):
        config.check_base(bad)
    result = CliRunner().invoke(cli, ["--base", bad, "query", "statutes"])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and "--base" in result.stderr, result.output


@pytest.mark.parametrize("home", ["/nonexistent-dir", "{tmp}"])
def test_an_explicit_home_that_is_not_one_is_an_error_never_a_fallback(home, tmp_path):
    home = home.format(tmp=tmp_path)
    for command in (["query", "statutes"], ["validate"], ["build", "-o", str(tmp_path / "d")]):
        result = CliRunner().invoke(cli, ["--home", home, *command])
        assert result.exit_code == 2 and result.stderr.startswith(f"fkgraph: --home {home}: not an fkgraph home"), result.output
    assert not (tmp_path / "d").exists()


def test_build_and_export_use_the_base(tmp_path):
    assert run("build", "-o", str(tmp_path / "d"), cache=tmp_path / "c").exit_code == 0
    assert minted((tmp_path / "d" / "fkgraph.ttl").read_text(encoding="utf-8")) == (True, False)
    result = run("export", "--format", "ntriples", "-o", str(tmp_path / "g.nt"), cache=tmp_path / "c")
    assert result.exit_code == 0, result.output
    assert minted((tmp_path / "g.nt").read_text(encoding="utf-8")) == (True, False)


def test_query_cite_and_stats_use_the_base(tmp_path):
    result = run("query", "trials", "--format", "csv", cache=tmp_path / "c")
    assert result.exit_code == 0 and minted(result.stdout) == (True, False), result.output
    result = run("cite", "servicelovens § 52, stk. 3")
    assert result.exit_code == 0 and f"{BASE}id/statute/sl/p52/stk3" in result.stdout, result.output


def test_publish_and_site_use_the_base(tmp_path):
    result = run("publish", "-o", str(tmp_path / "p"), "--no-validate", cache=tmp_path / "c")
    assert result.exit_code == 0, result.output
    for rel in ("dump/fkgraph.ttl", "dcat.ttl", "void.ttl"):
        assert minted((tmp_path / "p" / rel).read_text(encoding="utf-8"))[1] is False, rel
    assert f"<{BASE}id/dataset>" in (tmp_path / "p" / "dcat.ttl").read_text(encoding="utf-8")
    result = run("site", "-o", str(tmp_path / "s"), "--no-validate", cache=tmp_path / "c")
    assert result.exit_code == 0, result.output
    page = (tmp_path / "s" / "id" / "statute" / "lab.html").read_text(encoding="utf-8")
    assert f"{BASE}id/statute/lab" in page and f"{DEFAULT}id/" not in page


def test_validate_uses_the_base(home, tmp_path):
    """A graph the shapes reject, so the report names focus nodes: they are minted under --base."""
    path = home / "data" / "networks" / "frikommune-ii-4.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("start: 2018-01-01", "start: 2031-01-01", 1), encoding="utf-8")
    result = run("validate", "--format", "turtle", home=home, cache=tmp_path / "c")
    assert result.exit_code == 1, result.output
    report = rdflib.Graph().parse(data=result.stdout, format="turtle")
    focus = {str(o) for o in report.objects(None, rdflib.URIRef("http://www.w3.org/ns/shacl#focusNode"))}
    assert focus and all(f.startswith(BASE) for f in focus), focus


def test_the_python_api_takes_the_same_settings(tmp_path):
    s = config.settings(home=ROOT, base=BASE, cache=False)
    built = api.build(s)
    assert built.base == BASE and api.query("trials", built=built, home=s).rows[0][1].startswith(BASE)
    assert api.cite("LAB § 48", s)[0]["iri"] == f"{BASE}id/statute/lab/p48"
    assert json.dumps(api.stats(built).rows)
