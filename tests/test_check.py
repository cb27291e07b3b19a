"""`fkgraph check` and `validate` as CI and pre-commit use them: never a false green, every
problem at once on its data file's line, in every report format, read back by independent
parsers (ElementTree for JUnit, pydantic-sarif's SARIF 2.1.0 model, the workflow-command
grammar GitHub documents)."""
from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NET1 = "data/networks/frikommune-ii-1.yaml"


def fk(*args, cwd=None, env=None) -> subprocess.CompletedProcess:
    environ = {**os.environ, **(env or {})}
    environ.pop("FKGRAPH_HOME", None)
    return subprocess.run([sys.executable, "-m", "fkgraph", *args], capture_output=True, text=True,
                          cwd=cwd, env=environ, timeout=600)


def line_of(path: Path, text: str, after: str | None = None) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, t in enumerate(lines) if after in t) if after else 0
    return next(i + 1 for i in range(start, len(lines)) if text in lines[i])


@pytest.fixture()
def three_mistakes(home):
    """A copy of the data with three mistakes in network 1's file: a status removed, a misspelt
    exemption kind, a municipality that is not a member of the network. Returns the expected
    (line, words) of each."""
    path = home / NET1
    text = path.read_text(encoding="utf-8")
    blocks = re.findall(r"^  - id: (\S+)\n((?:    .*\n|      .*\n)*)", text, flags=re.M)
    trials = [tid for tid, body in blocks if "    status: approved\n" in body and "    municipalities: [" in body]
    first, other = trials[0], trials[-1]
    block = text.index(f"  - id: {first}\n")
    text = text[:block] + text[block:].replace("    status: approved\n", "", 1)
    text = text.replace("      - kind: udvidelse\n", "      - kind: udvidlese\n", 1)
    block = text.index(f"  - id: {other}\n")
    text = text[:block] + re.sub(r'municipalities: \[[^\]]*\]', 'municipalities: ["0101"]', text[block:], count=1)
    path.write_text(text, encoding="utf-8")
    return path, [
        (line_of(path, f"- id: {first}"), "status"),
        (line_of(path, "kind: udvidlese"), "udvidlese"),
        (line_of(path, 'municipalities: ["0101"]', after=f"- id: {other}"), "0101"),
    ]


def _expect_three(found: list[tuple[str, int, str]], expected):
    """`found`: (file, line, message) per problem; each mistake once, on its file and line."""
    assert len(found) == 3, found
    for line, word in expected:
        hits = [f for f in found if f[0] == NET1 and f[1] == line]
        assert len(hits) == 1 and word in hits[0][2], (line, word, found)


def test_check_lines_every_mistake_on_its_line(home, three_mistakes):
    _, expected = three_mistakes
    r = fk("--home", str(home), "check")
    assert r.returncode == 1, r.stderr
    problems = [m.groups() for m in re.finditer(r"^(\S+?):(\d+): (.*)$", r.stdout, flags=re.M)]
    _expect_three([(f, int(n), msg) for f, n, msg in problems], expected)
    assert "Traceback" not in r.stderr


def test_json_report(home, three_mistakes, tmp_path):
    _, expected = three_mistakes
    r = fk("--home", str(home), "check", "--format", "json", "-o", str(tmp_path / "r.json"))
    assert r.returncode == 1
    doc = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert doc["conforms"] is False
    _expect_three([(x["file"], x["line"], x["message"]) for x in doc["results"]], expected)


def test_junit_is_written_although_the_records_do_not_load(home, three_mistakes, tmp_path):
    _, expected = three_mistakes
    out = tmp_path / "reports" / "shapes.xml"
    out.parent.mkdir()
    r = fk("--home", str(home), "validate", "--format", "junit", "-o", str(out))
    assert r.returncode == 1
    root = ET.parse(out).getroot()
    suite = root.find("testsuite")
    assert suite.get("timestamp") and float(suite.get("time")) >= 0
    text = "\n".join(f.text or "" for f in root.iter("failure"))
    found = [(f, int(n), msg) for f, n, msg in re.findall(r"^(\S+?):(\d+): (.*)$", text, flags=re.M)]
    _expect_three(found, expected)
    assert int(root.get("failures")) >= 1


def test_github_workflow_commands(home, three_mistakes):
    _, expected = three_mistakes
    r = fk("--home", str(home), "check", "--format", "github")
    assert r.returncode == 1
    commands = re.findall(r"^::error file=([^,]+),line=(\d+),title=([^:]+)::(.*)$", r.stdout, flags=re.M)
    _expect_three([(f, int(n), msg) for f, n, _, msg in commands], expected)


def test_sarif_is_valid_sarif_2_1_0(home, three_mistakes, tmp_path):
    model = pytest.importorskip("pydantic_sarif.model")
    _, expected = three_mistakes
    r = fk("--home", str(home), "check", "--format", "sarif", "-o", str(tmp_path / "r.sarif"))
    assert r.returncode == 1
    raw = json.loads((tmp_path / "r.sarif").read_text(encoding="utf-8"))
    model.StaticAnalysisResultsFormatSarifVersion210JsonSchema.model_validate(raw)
    run = raw["runs"][0]
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    found = []
    for res in run["results"]:
        assert rules[res["ruleIndex"]] == res["ruleId"]
        loc = res["locations"][0]["physicalLocation"]
        found.append((loc["artifactLocation"]["uri"], loc["region"]["startLine"], res["message"]["text"]))
    _expect_three(found, expected)


def test_sarif_of_shape_violations_has_one_rule_per_shape_with_both_messages(built, tmp_path):
    model = pytest.importorskip("pydantic_sarif.model")
    from fkgraph import api
    from fkgraph.shacl.report import Report, Result

    report = api.validate(built, home=ROOT)
    shape = next(s for s in report.shapes if s.message and s.message_da)
    broken = Report(conforms=False, shapes=report.shapes, results=[Result(
        focus="https://w3id.org/fkgraph/id/x", path="", component="c", value="", severity="Violation",
        source_shape=shape.iri, message=shape.message, file=NET1, line=7)])
    raw = json.loads(broken.render("sarif"))
    model.StaticAnalysisResultsFormatSarifVersion210JsonSchema.model_validate(raw)
    rules = raw["runs"][0]["tool"]["driver"]["rules"]
    assert len(rules) == len({s.iri for s in report.shapes})
    rule = rules[raw["runs"][0]["results"][0]["ruleIndex"]]
    assert rule["shortDescription"]["text"] == shape.message and shape.message_da in rule["fullDescription"]["text"]


def test_shape_violations_name_the_record_file_line_and_field(home):
    """A value the records accept but the shapes refuse: the result is on the field's line."""
    path = home / NET1
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("    start: 2017-07-01\n", "    start: 2031-07-01\n", 1), encoding="utf-8")
    from fkgraph import api

    report = api.validate(home=home)
    assert not report.conforms  # a start after the programme's end (2020) breaks a shape
    r = next(r for r in report.results if r.field == "start")
    assert (r.file, r.line) == (NET1, line_of(path, "start: 2031-07-01"))


def test_every_record_error_at_once_across_files(home):
    (home / "data" / "statutes.yaml").write_text(
        (home / "data" / "statutes.yaml").read_text(encoding="utf-8").replace("type: lov", "type: lovv", 1), encoding="utf-8")
    path = home / NET1
    path.write_text(path.read_text(encoding="utf-8").replace("status: approved", "status: approvd", 2), encoding="utf-8")
    r = fk("--home", str(home), "query", "statutes")
    assert r.returncode == 1
    lines = r.stderr.splitlines()
    assert len(lines) >= 3 and all(re.match(r"fkgraph: \S+:\d+: ", x) for x in lines), r.stderr
    assert sum("approvd" in x for x in lines) == 2 and any("lovv" in x for x in lines)


def test_a_home_that_does_not_exist_is_one_line_exit_2(tmp_path):
    for args in (["validate"], ["check"], ["query", "statutes"]):
        r = fk("--home", "/nonexistent-dir", *args)
        assert r.returncode == 2 and r.stderr.count("\n") == 1 and "/nonexistent-dir" in r.stderr, r.stderr


@pytest.mark.parametrize("content", ["", "@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\n"],
                         ids=["empty", "unrelated"])
def test_rdf_without_anything_to_check_is_not_green(tmp_path, content):
    path = tmp_path / "g.ttl"
    path.write_text(content, encoding="utf-8")
    r = fk("validate", str(path))
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "nothing to validate" in r.stderr, r.stderr
    assert fk("validate", "--allow-empty", str(path)).returncode == 0


def test_shapes_without_shapes_are_not_green(home):
    (home / "ontology" / "shapes.ttl").write_text("@prefix sh: <http://www.w3.org/ns/shacl#> .\n", encoding="utf-8")
    r = fk("--home", str(home), "validate")
    assert r.returncode == 1 and "holds no SHACL shapes" in r.stderr and r.stderr.count("\n") == 1, r.stderr


def test_validate_reads_gzipped_dumps_and_names_the_file(tmp_path):
    dump = tmp_path / "fkgraph.nt.gz"
    assert fk("export", "--gzip", "-o", str(tmp_path / "fkgraph.nt")).returncode == 0
    assert dump.is_file()
    r = fk("validate", str(dump))
    assert r.returncode == 0, r.stdout + r.stderr
    # a violation in an RDF file names that file
    nt = gzip.decompress(dump.read_bytes()).decode("utf-8")
    status = "<https://w3id.org/fkgraph/ontology#status>"
    broken = "\n".join(x for x in nt.splitlines() if status not in x) + "\n"
    bad = tmp_path / "broken.nt"
    bad.write_text(broken, encoding="utf-8")
    r = fk("validate", "--format", "lines", str(bad))
    assert r.returncode == 1
    assert re.search(rf"^{re.escape(str(bad))}:1: ", r.stdout, flags=re.M), r.stdout[:2000]


def test_a_data_only_repository_uses_its_own_data_and_the_packaged_shapes(tmp_path):
    repo = tmp_path / "repo"
    import shutil

    shutil.copytree(ROOT / "data", repo / "data")
    r = fk("--verbose", "check", cwd=repo)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"home {repo.resolve()}: data/" in r.stderr and "packaged ontology/, queries/" in r.stderr
    path = repo / NET1
    path.write_text(path.read_text(encoding="utf-8").replace("status: approved", "status: approvd", 1), encoding="utf-8")
    r = fk("check", cwd=repo)
    assert r.returncode == 1 and f"{NET1}:{line_of(path, 'status: approvd')}:" in r.stdout, r.stdout + r.stderr
