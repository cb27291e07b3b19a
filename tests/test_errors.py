"""Every error message names the place and the fix.

One case per message of records.py (and graph.py's citation error): a valid record added to a
copy of the real data, broken in one way. The error must name that file and the line of the
broken text, say what is wrong and what would be valid. Query and CLI usage errors follow at
the end.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from fkgraph import api
from fkgraph.model import records
from fkgraph.cli import cli
from fkgraph.model.records import RecordError

ROOT = Path(__file__).resolve().parents[1]

#: A valid extra network file; each case breaks one thing in it (or in another file).
NETWORK = """\
network:
  programme: frikommune-ii
  number: 99
  name: {da: "Prøvenetværk", en: "Test network"}
  members: ["0159"]
  source: {doc: "004", lines: "1808-1836"}
trials:
  - id: proeveforsoeg
    name: {da: "Prøveforsøg", en: "Test trial"}
    status: approved
    start: 2018-01-01
    municipalities: ["0159"]
    exemptions:
      - kind: fritagelse
        text: "Fritagelse fra SL § 52"
        cites: ["SL § 52"]
    source: {doc: "004", lines: "1846-1858"}
applications:
  - id: proeveansoegning
    name: {da: "Prøveansøgning"}
    decision: granted
    round: 1
    trial: proeveforsoeg
    source: {doc: "004", lines: "2020-2052"}
evaluations:
  - evaluator: VIVE
    design: {da: "Prøvedesign"}
    trials: [proeveforsoeg]
    source: {doc: "004", lines: "1808-1836"}
"""
NET = "networks/frikommune-ii-99.yaml"
DUPLICATE = "(the same record again)"


class AT(str):
    """In a case: the text on the line the error must name, when that is not the changed line
    (a list item without a line of its own; an unclosed quote, reported where its block opens)."""

#: Records appended to the real top-level files, valid as written.
APPEND = {
    "sources.yaml": ('- id: "099"\n  kind: report\n  title: {da: "Prøvekilde", en: "Test source"}\n  issued: 2018-02\n'
                     '  url: https://example.org/report\n  file: 099.txt\n  line_count: 10\n'),
    "statutes.yaml": '- id: PRL\n  title: {da: "Prøvelov", en: "Test act"}\n  type: lov\n  variants: ["prøveloven"]\n',
    "municipalities.yaml": '- code: "0998"\n  name: Prøvekommune\n  source: {doc: "004", lines: "3226-3228"}\n',
    "programmes.yaml": ('- id: proeveprogram\n  name: {da: "Prøveprogram", en: "Test programme"}\n  start: 2016-01-01\n'
                        '  end: 2020-12-31\n  rounds:\n    - number: 1\n      in_force: 2017-07-01\n'
                        '      source: {doc: "004", lines: "63-67"}\n  source: {doc: "004", lines: "3-5"}\n'),
    "outcomes.yaml": ('- id: proeveudfald\n  kind: recommended-permanent\n  name: {da: "Prøveudfald"}\n'
                      '  trials: ["frikommune-ii/proeveforsoeg"]\n  source: {doc: "000", lines: "15-17"}\n'),
}

# (case id, file, old, new, pieces the message must contain). The error must point at the
# line holding `new` (the first line of it), unless `new` is "" (then: the record's first line).
CASES = [
    # YAML level
    ("mapping keys", NET, "    status: approved", "    [a, b]: approved", ["mapping keys must be plain text", "write key: value"]),
    ("appears twice", NET, "    status: approved", "    status: approved\n    status: expected", ["key 'status' appears twice", "keep one"]),
    ("not UTF-8", NET, "Prøveforsøg\"", "Pr\udcf8veforsøg\"", ["are not UTF-8", "save the file as UTF-8"]),
    ("broken YAML", NET, 'text: "Fritagelse fra SL § 52"', 'text: "Fritagelse fra SL § 52', AT("- kind: fritagelse"), ["broken YAML", "at line 16", "check the quotes"]),
    ("YAML tags", NET, "status: approved", "status: !!python/object/apply:os.getcwd []", ["YAML tags such as", "are not allowed", "write plain values"]),
    ("U+", NET, "status: approved", "status: appro\x07ved", ["character U+0007 is not allowed", "delete it"]),
    ("nested more than", NET, "status: approved", "status: " + "[" * 40 + "]" * 40, ["nested more than 32 levels", "at most a few levels"]),
    # fields
    ("missing required field '{key}'", NET, "    decision: granted\n", "", ["missing required field 'decision'", "add it, e.g. decision: granted"]),
    ("network without members", NET, '  members: ["0159"]\n', "", ["network 99: missing required field 'members'", 'add it, e.g. members: ["0159"']),
    ("must be a whole number from 1", NET, "  number: 99", "  number: -99", ["network in frikommune-ii-99.yaml: number -99 must be a whole number from 1", "e.g. number: 1"]),
    ("is not a round of", NET, "    round: 1", "    round: 7", ["application proeveansoegning: round 7 is not a round of frikommune-ii", "use one of: 1, 2, 3"]),
    ("must be {_article", NET, "  number: 99", "  number: \"99\"", ["field 'number' must be a whole number", "not str '99'"]),
    ("expected a mapping", NET, "  - evaluator: VIVE\n    design: {da: \"Prøvedesign\"}\n    trials: [proeveforsoeg]\n    source: {doc: \"004\", lines: \"1808-1836\"}\n",
     "  - just text\n", AT("evaluations:"), ["expected a mapping (key: value)", "got str"]),
    ("is not one of", NET, "decision: granted", "decision: approved", ["decision 'approved' is not one of", "granted, partly-granted"]),
    ("is not a real date", NET, "start: 2018-01-01", "start: 2018-02-30", ["'2018-02-30' is not a real date", "write YYYY-MM-DD"]),
    ("is not a slug", NET, "id: proeveforsoeg\n", "id: Prøveforsøg\n", ["'Prøveforsøg' is not a slug", "å→aa"]),
    ("needs a non-empty", NET, 'name: {da: "Prøveansøgning"}', 'name: {en: "Test application"}', ["name needs a non-empty 'da' text", "e.g. name: {da:"]),
    ("has language", NET, 'name: {da: "Prøveansøgning"}', 'name: {da: "Prøveansøgning", de: "Probe"}', ["has language 'de'", "use da or en"]),
    ("without leading or trailing", NET, 'name: {da: "Prøveansøgning"}', 'name: {da: "Prøveansøgning "}', ["name.da must be text without leading or trailing spaces", "remove them"]),
    ("must be text, not", NET, "    status: approved", "    status: approved\n    text: 42", ["field 'text' must be text, not int 42", "quote it"]),
    ("must be true or false, not", NET, "    status: approved", "    status: approved\n    no_exemption_needed: maybe", ["no_exemption_needed must be true or false", "'maybe'"]),
    ("must be a list, not", NET, 'municipalities: ["0159"]', 'municipalities: "0159"', ["municipalities must be a list, not str", "one '- ' line per entry"]),
    ("every entry of", NET, 'members: ["0159"]', 'members: ["0159 "]', ["every entry of members must be non-empty text without surrounding spaces", "'0159 '"]),
    ("either source or sources", NET, '    source: {doc: "004", lines: "2020-2052"}', '    source: {doc: "004", lines: "2020-2052"}\n    sources: []', ["give either source or sources, not both"]),
    ("missing required field 'source'", NET, '    source: {doc: "004", lines: "2020-2052"}\n', "", ["missing required field 'source'", 'e.g. source: {doc: "004"']),
    ("is not in sources.yaml", NET, '{doc: "004", lines: "1846-1858"}', '{doc: "104", lines: "1846-1858"}', ["source doc '104' is not in sources.yaml", "known: 000, 001"]),
    ("must be a line or range", NET, '{doc: "004", lines: "1846-1858"}', '{doc: "004", lines: "1846 to 1858"}', ["must be a line or range such as \"307-320\""]),
    ("not run backwards", NET, '{doc: "004", lines: "1846-1858"}', '{doc: "004", lines: "1858-1846"}', ["the range must start at 1 or later and not run backwards"]),
    ("run past the end", NET, '{doc: "004", lines: "1846-1858"}', '{doc: "004", lines: "99998-99999"}', ["run past the end of document 004", "check the line numbers"]),
    ("file must be a YAML list", "statutes.yaml", None, "statutes: {}\n", ["statutes file must be a YAML list of records", "lines starting with '- '"]),
    ("duplicate {what}", NET, "  - id: proeveansoegning\n", DUPLICATE, ["duplicate application id 'proeveansoegning'", "rename one of them"]),
    ("source id", "sources.yaml", 'id: "099"', 'id: "0 99"', ["source id '0 99' must be lower-case letters, digits and hyphens", 'e.g. "004"']),
    ("source kind", "sources.yaml", "  kind: report\n  title: {da: \"Prøvekilde\"", "  kind: book\n  title: {da: \"Prøvekilde\"", ["kind 'book' is not one of: report, news, memo"]),
    ("source issued", "sources.yaml", "issued: 2018-02\n  url: https://example.org", "issued: 2018-13\n  url: https://example.org", ["issued '2018-13' is not a real date"]),
    ("source url", "sources.yaml", "url: https://example.org/report", "url: javascript:alert(1)", ["url 'javascript:alert(1)' must be an http(s) URL"]),
    ("source line count", "sources.yaml", "line_count: 10", "line_count: 0", ["line_count 0 must be a whole number from 1"]),
    ("municipality code", "municipalities.yaml", 'code: "0998"', "code: 998", ["municipality code 998 must be four digits in quotes", '"0851"']),
    ("statute id", "statutes.yaml", "id: PRL", "id: prl", ["statute id 'prl' must be an upper-case abbreviation", "SL or BEK-LAB"]),
    ("eli", "statutes.yaml", '  type: lov\n  variants: ["prøveloven"]', '  type: lov\n  eli: "retsinformation 2024/701"\n  variants: ["prøveloven"]', ["eli 'retsinformation 2024/701' must be an http(s) IRI", "https://www.retsinformation.dk/eli/"]),
    ("is not a known trial", "outcomes.yaml", '"frikommune-ii/proeveforsoeg"', '"proeveforsoeg"', ["trial 'proeveforsoeg' is not a known trial", "write programme/trial-id"]),
    ("a network file must be", NET, None, "- just a list\n", ["a network file must be a mapping with 'network:'"]),
    ("member", NET, 'members: ["0159"]', 'members: ["0159", "0997"]', ["member '0997' is not in municipalities.yaml", "use a four-digit kommunekode listed there"]),
    ("is not in programmes.yaml", NET, "programme: frikommune-ii", "programme: frikommune-iv", ["programme 'frikommune-iv' is not in programmes.yaml", "known: frikommune-i, frikommune-ii, frikommune-iii"]),
    ("municipality {code!r} is not in", NET, 'municipalities: ["0159"]', 'municipalities: ["0997"]', ["municipality '0997' is not in municipalities.yaml", "use a four-digit kommunekode"]),
    ("is not a member of network", NET, 'municipalities: ["0159"]', 'municipalities: ["0998"]', ["municipality 0998 is not a member of network 99", "add it to the network's members"]),
    ("exemption: {flag}", NET, "      - kind: fritagelse", "      - kind: fritagelse\n        partial: ja", ["exemption: partial must be true or false"]),
    ("parent", NET, "    status: approved", "    parent: ukendt-forsoeg\n    status: approved", ["parent 'ukendt-forsoeg' is not a trial of programme frikommune-ii", "use the id of a trial"]),
    ("missing required field 'status'", NET, "    status: approved\n    start: 2018-01-01\n", "", ["missing required field 'status'", "use one of: approved"]),
    ("application {a['id']}", NET, "    trial: proeveforsoeg", "    trial: ukendt-forsoeg", ["trial 'ukendt-forsoeg' is not a trial of programme frikommune-ii", "use the id of a trial"]),
    ("evaluation by", NET, "trials: [proeveforsoeg]", "trials: [ukendt-forsoeg]", ["evaluation by VIVE: trial 'ukendt-forsoeg' is not a trial", "use the id of a trial"]),
    # graph.py
    ("citation {cite!r} cannot be read", NET, 'cites: ["SL § 52"]', 'cites: ["XYZ § 52"]', ["citation 'XYZ § 52' cannot be read", 'write it canonically, e.g. "SL § 52, stk. 3"']),
]


def _setup(home: Path, file: str, old: str | None, new: str) -> tuple[Path, int | None]:
    """Add the valid extras, apply one case; return the file and the line the error must name."""
    data = home / "data"
    (data / NET).write_text(NETWORK, encoding="utf-8")
    for name, text in APPEND.items():
        with (data / name).open("a", encoding="utf-8") as f:
            f.write("\n" + text)
    path = data / file
    text = path.read_text(encoding="utf-8", errors="surrogateescape")
    if old is None:
        text = new
    else:
        anchor = old if file == NET else None
        if file != NET:  # break the appended record, not a real one
            start = text.rindex(APPEND[file].splitlines()[0])
            text = text[:start] + text[start:].replace(old, new, 1)
        else:
            assert text.count(old) >= 1, old
            if new == DUPLICATE:  # repeat the whole record after itself
                block = NETWORK[NETWORK.index(old):NETWORK.index("evaluations:")]
                text = text.replace(block, block + block, 1)
            else:
                text = text.replace(anchor, new, 1)
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    if not new.strip() or old is None or new == old:
        return path, None
    if new == DUPLICATE:
        needle = old.strip()
    else:  # the first line the case added or changed
        needle = next(line.strip() for line in new.splitlines() if line not in old.splitlines())
    lines = text.splitlines()
    hits = [i + 1 for i, line in enumerate(lines) if needle in line]
    return path, hits[-1] if hits else None


def test_the_extras_are_valid(home):
    _setup(home, NET, "status: approved", "status: approved")  # no change
    assert any(t["id"] == "proeveforsoeg" for t in api.load_records(home).trials)


@pytest.mark.parametrize("case,file,old,new,pieces", [c if len(c) == 5 else c[:4] + (c[5],) for c in CASES],
                         ids=[c[0] for c in CASES])
def test_error_names_place_and_fix(home, monkeypatch, case, file, old, new, pieces):
    path, line = _setup(home, file, old, new)
    at = next((c[4] for c in CASES if c[0] == case and len(c) == 6), None)
    if at is not None:
        line = next(i + 1 for i, text in enumerate(path.read_text(encoding="utf-8").splitlines()) if at in text)
    with pytest.raises(RecordError) as err:
        api.build(home, cache=False)
    e = err.value
    assert e.file == str(path), str(e)
    if line is not None:
        assert e.line == line, f"{e} (expected line {line})"
    for piece in pieces:
        assert piece in e.message, f"{piece!r} not in {e.message!r}"
    assert str(e) == f"{path}:{e.line or 1}: {e.message}" and "\n" not in str(e)
    # The CLI says the same, first, exit 1; any consequences of it follow, one line each.
    result = CliRunner().invoke(cli, ["--home", str(home), "query", "statutes"], env={"FKGRAPH_CACHE": "/dev/null/x"})
    first = str(e.errors[0]) if hasattr(e, "errors") else str(e)
    lines = result.stderr.splitlines()
    assert result.exit_code == 1 and lines[0] == f"fkgraph: {first}", result.output
    assert len(lines) == len(getattr(e, "errors", [e])) and all(x.startswith("fkgraph: ") for x in lines)


def test_unreadable_and_oversized_files(home, tmp_path):
    path = home / "data" / "statutes.yaml"
    big = tmp_path / "big.yaml"
    with big.open("wb") as f:
        f.truncate(records.MAX_BYTES + 1)
    with pytest.raises(RecordError, match=rf"^{re.escape(str(big))}:1: file is {records.MAX_BYTES + 1} bytes; "
                                          r"source records must be under [0-9]+ bytes \(split the file\)$"):
        records.load_yaml(big)
    with pytest.raises(RecordError, match=r":1: cannot read file \(No such file or directory\); check that it exists"):
        records.load_yaml(tmp_path / "missing.yaml")
    path.unlink()
    with pytest.raises(RecordError, match=r"not a data directory: statutes.yaml is missing; point --home at"):
        records.load(home / "data")


# ---- queries and the command line --------------------------------------------------------------

def _run(*args, home=ROOT):
    return CliRunner().invoke(cli, ["--home", str(home), *args])


QUERY_CASES = [
    # (args, exit code, pieces of the one line: the place (query, parameter, option) and the fix)
    (["query", "statutes", "-p", "bogus=1"], 2, ["query statutes has no parameter 'bogus'", "it takes:"]),
    (["query", "no-such-query"], 2, ["no stored query named 'no-such-query'", "fkgraph queries"]),
    (["query", "most-exempted-statute"], 2, ["no stored query named", "did you mean most-exempted-statutes"]),
    (["query", "/nonexistent/x.rq"], 2, ["/nonexistent/x.rq: no such query file"]),
    (["query", "statutes", "-p", "nonsense"], 2, ["--param 'nonsense'", "write NAME=VALUE, e.g. -p statute=LAB"]),
    (["query"], 2, ["give a query NAME", "fkgraph queries"]),
    (["query", "statutes", "--graph", "https://example.org/g"], 2, ["--graph applies to a remote query", "add --endpoint URL"]),
    (["query", "trials-exempting", "-p", "provision=Ingen Sådan Lov"], 2, ["parameter provision", "is neither an http(s) IRI nor a name, code or citation"]),
    (["query", "trials-exempting", "-p", "provision=LAB\x00"], 2, ["parameter provision: value contains a NUL character"]),
    (["query", "trials-exempting", "-p", "provision=\\u0041"], 2, ["parameter provision: value contains a \\u escape", "write the character itself"]),
    (["query", "trials-exempting", "-p", "provision=" + "x" * 100_001], 2, ["parameter provision: value is 100001 characters long", "the limit is"]),
]


@pytest.mark.parametrize("args,code,pieces", QUERY_CASES, ids=[" ".join(a)[:50] for a, _, _ in QUERY_CASES])
def test_query_errors_name_place_and_fix(built, args, code, pieces):
    result = _run(*args)
    assert result.exit_code == code, result.output
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("fkgraph: ") and "Traceback" not in result.output
    for piece in pieces:
        assert piece in line, f"{piece!r} not in {line!r}"


def _query_file(tmp_path, text: str) -> str:
    path = tmp_path / "q.rq"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_query_file_errors_name_the_file(tmp_path, built):
    bad_yaml = _query_file(tmp_path, "#+ summary: [unclosed\nSELECT * WHERE { ?s ?p ?o }\n")
    result = _run("query", bad_yaml)
    assert result.exit_code == 2 and result.stderr.startswith(f"fkgraph: {bad_yaml}: the #+ decorators are not valid YAML")
    assert result.stderr.count("\n") == 1 and "expected ',' or ']'" in result.stderr
    not_mapping = _query_file(tmp_path, "#+ - a list\nSELECT * WHERE { ?s ?p ?o }\n")
    result = _run("query", not_mapping)
    assert result.stderr == f"fkgraph: {not_mapping}: the #+ decorators must be 'key: value' lines\n"
    syntax = _query_file(tmp_path, "SELECT * WHERE { ?s ?p }\n")
    result = _run("query", syntax)
    assert result.exit_code == 2 and result.stderr.startswith(f"fkgraph: {syntax}: SPARQL syntax error")
    construct = _query_file(tmp_path, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }\n")
    result = _run("query", construct, "--format", "csv")  # a graph (issue 23: CONSTRUCT gives RDF), not rows
    assert result.exit_code == 2 and result.stderr.startswith("fkgraph: the query gives a graph (CONSTRUCT or DESCRIBE)")
    nowhere = _query_file(tmp_path, "SELECT ?_x { }\n")
    result = _run("query", nowhere, "-p", "x=1")
    assert result.exit_code == 2
    assert result.stderr == f"fkgraph: {nowhere}: parameters need a WHERE {{ … }} clause to bind into\n"
    undecodable = tmp_path / "bad.rq"
    undecodable.write_bytes(b"SELECT \xff")
    result = _run("query", str(undecodable))
    assert result.exit_code == 2 and result.stderr.startswith(f"fkgraph: {undecodable}: cannot read query file")


def test_query_timeout_names_query_and_fix(tmp_path, built):
    slow = _query_file(tmp_path, "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }\n")
    result = _run("query", slow, "--timeout", "0.5")
    assert result.exit_code == 1
    assert result.stderr == ("fkgraph: query q did not finish within 0.5 s and was stopped; give it more time "
                             "with --timeout, or narrow it with parameters\n")


def test_query_timeout_gives_the_same_rows(built):
    plain = _run("query", "most-exempted-statutes", "--format", "csv")
    timed = _run("query", "most-exempted-statutes", "--format", "csv", "--timeout", "60")
    assert plain.exit_code == timed.exit_code == 0 and plain.stdout == timed.stdout and plain.stdout.count("\n") > 3


def test_unknown_rdf_file_extension(tmp_path):
    path = tmp_path / "x.xyz"
    path.write_text("")
    result = _run("validate", str(path))
    assert result.exit_code == 2
    assert result.stderr == (f"fkgraph: {path}: unknown RDF file extension 'xyz'; use .ttl, .nt, .nq, .trig, "
                             ".jsonld or .rdf, each optionally gzipped (.ttl.gz)\n")


def test_non_conforming_build_says_nothing_was_written(home, tmp_path):
    """A graph the shapes reject: the report, then one line saying nothing was written."""
    path = home / "data" / "networks" / "frikommune-ii-4.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("start: 2018-01-01", "start: 2031-01-01", 1), encoding="utf-8")
    out = tmp_path / "dist"
    result = _run("build", "--output", str(out), home=home)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == ("fkgraph: the data does not conform to ontology/shapes.ttl; "
                                              "nothing was written")
    assert not out.exists()
