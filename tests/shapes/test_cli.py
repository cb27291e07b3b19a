"""`fkgraph validate` and `fkgraph docs` from the command line (issue 5, "must show").

Each test first checks that the option it exercises is wired into the CLI, naming it if not.
"""
from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import rdflib
from click.testing import CliRunner

from fkgraph.cli import cli

ROOT = Path(__file__).resolve().parents[2]
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")


def run(*args, home=None):
    argv = (["--home", str(home)] if home else []) + [str(a) for a in args]
    return CliRunner().invoke(cli, argv, catch_exceptions=False)


def needs(command: str, option: str, value: str | None = None):
    """Fail unless `fkgraph COMMAND` has OPTION (and VALUE among its choices)."""
    cmd = cli.commands.get(command)
    if cmd is None:
        pytest.fail(f"`fkgraph {command}` is not wired into the CLI")
    for p in cmd.params:
        if option in getattr(p, "opts", []):
            if value is None or value in getattr(p.type, "choices", [value]):
                return
    pytest.fail(f"`fkgraph {command} {option} {value or ''}` is not wired into the CLI")



@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    """The real data built and written as Turtle once."""
    out = tmp_path_factory.mktemp("export") / "fkgraph.ttl"
    res = run("export", "--format", "turtle", "--output", out)
    assert res.exit_code == 0, res.output
    return out


def _without_member(exported: Path, tmp_path: Path) -> tuple[Path, str, str]:
    """A copy of the built data where one trial's municipality is no longer a network member."""
    g = rdflib.Graph().parse(exported, format="turtle")
    FK = rdflib.Namespace("https://w3id.org/fkgraph/ontology#")
    ORG = rdflib.Namespace("http://www.w3.org/ns/org#")
    trial, muni, net = sorted((t, m, n) for t, m in g.subject_objects(FK.municipality)
                              for n in g.objects(t, FK.network) if (n, ORG.hasMember, m) in g)[0]
    g.remove((net, ORG.hasMember, muni))
    copy = tmp_path / "copy.ttl"
    g.serialize(copy, format="turtle")
    return copy, str(trial), str(muni)


def test_member_removed_from_rdf_copy_names_trial_and_municipality(exported, tmp_path):
    copy, trial, muni = _without_member(exported, tmp_path)
    res = run("validate", copy)
    assert res.exit_code == 1, res.output
    assert "TrialMunicipalitiesInNetwork" in res.output
    assert trial in res.output and muni in res.output


def test_member_removed_from_yaml_copy_names_trial_and_municipality(home):
    """In the YAML records the same mistake is caught at load time, with file and line."""
    path = home / "data" / "networks" / "frikommune-ii-4.yaml"
    text = path.read_text(encoding="utf-8")
    members = re.search(r'members: \[("\d{4}"(?:, "\d{4}")*)\]', text)
    used = re.search(r'municipalities: \["(\d{4})"', text).group(1)
    kept = ", ".join(m for m in members.group(1).split(", ") if m != f'"{used}"')
    path.write_text(text.replace(members.group(0), f"members: [{kept}]"), encoding="utf-8")
    res = run("validate", home=home)
    assert res.exit_code == 1
    out = res.output
    assert "frikommune-ii-4.yaml:" in out and used in out and "not a member of network 4" in out


@pytest.mark.parametrize("fmt", ["text", "json", "turtle", "junit"])
def test_validate_formats_on_conforming_data(fmt, exported):
    needs("validate", "--format", fmt)
    res = run("validate", "--format", fmt, exported)
    assert res.exit_code == 0, res.output
    if fmt == "turtle":
        g = rdflib.Graph().parse(data=res.output, format="turtle")
        assert (None, SH.conforms, rdflib.Literal(True)) in g
    elif fmt == "junit":
        root = ET.fromstring(res.output)
        assert int(root.get("tests")) > 50 and root.get("failures") == "0"


def test_validate_junit_fails_the_shape_that_fails(exported, tmp_path):
    needs("validate", "--format", "junit")
    copy, trial, muni = _without_member(exported, tmp_path)
    res = run("validate", "--format", "junit", copy)
    assert res.exit_code == 1
    root = ET.fromstring(res.output)
    failed = [c for c in root.iter("testcase") if c.find("failure") is not None]
    assert [c.get("name") for c in failed] == ["fksh:TrialMunicipalitiesInNetwork"]
    assert trial in failed[0].find("failure").text


def test_validate_fast_engine_agrees(exported, tmp_path):
    needs("validate", "--engine", "fast")
    copy, trial, muni = _without_member(exported, tmp_path)
    outs = {e: run("validate", "--format", "json", "--engine", e, copy) for e in ("pyshacl", "fast")}
    assert all(r.exit_code == 1 for r in outs.values())
    import json
    keys = {e: sorted((r["focus"], r["path"], r["component"], r["source_shape"]) for r in json.loads(o.output)["results"])
            for e, o in outs.items()}
    assert keys["pyshacl"] == keys["fast"]


def test_validate_unreadable_rdf_exits_2(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("<a> <b> .", encoding="utf-8")
    res = run("validate", bad)
    assert res.exit_code == 2, res.output


def test_docs_command_writes_the_page(tmp_path):
    needs("docs", "--output")
    res = run("docs", "--output", tmp_path / "docs")
    assert res.exit_code == 0, res.output
    assert "warning" not in res.output.lower()
    html = (tmp_path / "docs" / "index.html").read_text(encoding="utf-8")
    assert "<h1" in html and "fk:Trial" in html
