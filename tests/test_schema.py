"""The JSON Schema of the source records (`data/schema/*.json`) and `fkgraph.model.schema.check`.

Every data file validates and names its schema on its first line; every schema is valid draft
2020-12; every invalid-record fixture of tests/test_errors.py that a schema can express fails it,
with an error on the line the record reader names (or, where the reader has no line of its own,
the line an editor would mark).

The fixtures a schema cannot express, because the answer lies in another record or another file,
pass the schema (and test_errors.py shows the record reader refusing them):
- "is not a round of": the round must be one of the programme's rounds in programmes.yaml;
- "is not in sources.yaml", "run past the end": the document and its line_count in sources.yaml;
- "duplicate {what}": ids unique among records;
- "member", "municipality {code!r} is not in": the kommunekode must be listed in municipalities.yaml;
- "is not a member of network": a trial's municipality must be among its network's members;
- "is not in programmes.yaml": the programme must be listed in programmes.yaml;
- "parent", "application {a['id']}", "evaluation by": the trial named must exist in the programme;
- "missing required field 'status'": a trial needs a status unless another trial names it as parent;
- "citation {cite!r} cannot be read": the citation grammar and the statutes of statutes.yaml.
And one a schema cannot express within one value: "not run backwards" (a range "1858-1846":
comparing the two numbers of one string).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from fkgraph.model import fields, schema
from fkgraph.model.records import RecordError
from test_errors import CASES, NET, _setup

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
SCHEMAS = sorted((DATA / "schema").glob("*.json"))
DATA_FILES = sorted(DATA.rglob("*.yaml"))

#: case → (the rule the error carries, the text on the line it must name when that is not the
#: line the case changed). `None` as the rule: the YAML reader's own error, passed on.
EXPRESSIBLE = {
    "mapping keys": (None, None),
    "appears twice": (None, None),
    "not UTF-8": (None, None),
    "broken YAML": (None, "- kind: fritagelse"),
    "YAML tags": (None, None),
    "U+": (None, None),
    "nested more than": (None, None),
    "missing required field '{key}'": ("schema/required", "- id: proeveansoegning"),
    "network without members": ("schema/required", "network:"),
    "must be a whole number from 1": ("schema/minimum", None),
    "must be {_article": ("schema/type", None),
    "expected a mapping": ("schema/type", "- just text"),
    "is not one of": ("schema/enum", None),
    "is not a real date": ("schema/format", None),
    "is not a slug": ("schema/pattern", None),
    "needs a non-empty": ("schema/required", None),
    "has language": ("schema/additionalProperties", None),
    "without leading or trailing": ("schema/not", None),
    "must be text, not": ("schema/type", None),
    "must be true or false, not": ("schema/type", None),
    "must be a list, not": ("schema/type", None),
    "every entry of": ("schema/pattern", None),
    "either source or sources": ("schema/not", None),
    "missing required field 'source'": ("schema/anyOf", "- id: proeveansoegning"),
    "must be a line or range": ("schema/pattern", None),
    "file must be a YAML list": ("schema/type", "statutes: {}"),
    "source id": ("schema/pattern", None),
    "source kind": ("schema/enum", None),
    "source issued": ("schema/pattern", None),
    "source url": ("schema/pattern", None),
    "source line count": ("schema/minimum", None),
    "municipality code": ("schema/type", None),
    "statute id": ("schema/pattern", None),
    "eli": ("schema/pattern", None),
    "is not a known trial": ("schema/pattern", None),
    "a network file must be": ("schema/type", "- just a list"),
    "exemption: {flag}": ("schema/type", None),
}
#: Listed in the module docstring: valid as far as any one file can tell.
NOT_EXPRESSIBLE = {
    "is not a round of", "is not in sources.yaml", "run past the end", "duplicate {what}", "member",
    "municipality {code!r} is not in", "is not a member of network", "is not in programmes.yaml", "parent",
    "application {a['id']}", "evaluation by", "missing required field 'status'", "citation {cite!r} cannot be read",
    "not run backwards",
}


def test_every_data_file_validates():
    assert schema.check(DATA) == []


@pytest.mark.parametrize("path", SCHEMAS, ids=[p.name for p in SCHEMAS])
def test_every_schema_is_valid_draft_2020_12(path):
    contents = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(contents)
    assert contents["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert contents["$id"] == f"https://w3id.org/fkgraph/schema/{path.name}"
    assert contents["title"].strip() and len(contents["description"]) > 40


@pytest.mark.parametrize("path", DATA_FILES, ids=[p.relative_to(DATA).as_posix() for p in DATA_FILES])
def test_every_data_file_names_its_schema_on_its_first_line(path):
    first = path.read_text(encoding="utf-8").split("\n", 1)[0]
    named = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
    assert named, f"{path}:1: {first!r}"
    target = (path.parent / named[1]).resolve()
    expected = "network.json" if path.parent.name == "networks" else path.stem + ".json"
    assert target == DATA / "schema" / expected and target.is_file()


def _patterns(node):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from [value] if key == "pattern" else _patterns(value)
    elif isinstance(node, list):
        for value in node:
            yield from _patterns(value)


def _strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, (dict, list)):
        for value in node.values() if isinstance(node, dict) else node:
            yield from _strings(value)


def test_patterns_mean_the_same_to_editors_and_to_python():
    """Editors run the patterns as ECMA-262 regular expressions (unicode mode), fkgraph with
    Python's re: on every string of the data and on the edge cases they agree."""
    import regress
    from fkgraph.model.yamlio import load_yaml

    samples = {s for path in DATA_FILES for s in _strings(load_yaml(path))}
    samples |= {"lab\n", "lab", " lab", "lab ", "ø", "0851\n", "0851", "2018-02-30", "2018-13", "307-320\n",
                "307 - 320", "https://example.org/a b", "a\nb", "", "\u00a0x", "SL\n", "BEK-LAB", "1.0+b\n"}
    patterns = {p for path in SCHEMAS for p in _patterns(json.loads(path.read_text(encoding="utf-8")))}
    assert len(patterns) >= 10
    for pattern in patterns:
        ecma = regress.Regex(pattern, "u")
        differ = [s for s in samples if bool(re.search(pattern, s)) != (ecma.find(s) is not None)]
        assert differ == [], (pattern, differ[:5])


def test_the_vocabularies_are_the_record_readers():
    """Enums are copied from fields.py, never invented: a new status must reach both."""
    def load(name):
        return json.loads((DATA / "schema" / name).read_text(encoding="utf-8"))
    defs = load("defs.json")["$defs"]
    assert defs["trial"]["properties"]["status"]["enum"] == list(fields.STATUSES)
    assert defs["exemption"]["properties"]["kind"]["enum"] == list(fields.KINDS)
    assert defs["application"]["properties"]["decision"]["enum"] == list(fields.DECISIONS)
    assert load("outcomes.json")["$defs"]["outcome"]["properties"]["kind"]["enum"] == list(fields.OUTCOME_KINDS)
    assert load("statutes.json")["$defs"]["statute"]["properties"]["type"]["enum"] == list(fields.STATUTE_TYPES)
    assert load("sources.json")["$defs"]["document"]["properties"]["kind"]["enum"] == list(fields.SOURCE_KINDS)
    assert defs["slug"]["pattern"].startswith(fields.SLUG.pattern.removesuffix(r"\Z"))
    assert defs["kommunekode"]["pattern"].startswith(fields.CODE.pattern.removesuffix(r"\Z"))
    assert defs["statute-id"]["pattern"].startswith(fields.STATUTE_ID.pattern.removesuffix(r"\Z"))


def test_every_fixture_is_sorted_into_expressible_or_not():
    ids = [c[0] for c in CASES]
    assert set(ids) == set(EXPRESSIBLE) | NOT_EXPRESSIBLE and not set(EXPRESSIBLE) & NOT_EXPRESSIBLE


def test_the_fixtures_extras_are_valid(home):
    _setup(home, NET, "status: approved", "status: approved")  # no change
    assert schema.check(home / "data") == []


@pytest.mark.parametrize("case", [c for c in CASES if c[0] in EXPRESSIBLE], ids=[c[0] for c in CASES if c[0] in EXPRESSIBLE])
def test_invalid_record_fails_the_schema_on_its_line(home, case):
    name, file, old, new = case[:4]
    rule, at = EXPRESSIBLE[name]
    path, line = _setup(home, file, old, new)
    if at is not None:
        line = next(i + 1 for i, text in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines()) if at in text)
    errors = schema.check(home / "data")
    assert errors and {e.file for e in errors} == {str(path)}, errors
    assert line is not None
    assert any(e.line == line and e.rule == rule for e in errors), [(str(e), e.rule) for e in errors]
    assert all(str(e) == f"{e.file}:{e.line or 1}: {e.message}" and "\n" not in str(e) for e in errors)


@pytest.mark.parametrize("case", [c for c in CASES if c[0] in NOT_EXPRESSIBLE], ids=[c[0] for c in CASES if c[0] in NOT_EXPRESSIBLE])
def test_cross_file_fixtures_pass_the_schema(home, case):
    _setup(home, *case[1:4])
    assert schema.check(home / "data") == []


def _break(home: Path, file: str, old: str, new: str) -> tuple[Path, int]:
    """Replace the first `old` in a copy of a real data file; (the file, the line of `new`)."""
    path = home / "data" / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    return path, text[:text.index(new)].count("\n") + 1


def test_a_misspelt_key_names_its_line_and_the_nearest_key(home):
    path, line = _break(home, "networks/frikommune-ii-4.yaml", "    exemptions:", "    exemptoins:")
    [error] = schema.check(home / "data")
    assert (error.file, error.line, error.rule) == (str(path), line, "schema/additionalProperties")
    assert "unknown key 'exemptoins'" in error.message and "did you mean 'exemptions'?" in error.message
    assert re.fullmatch(r"trials\[[0-9]+\]\.exemptoins", error.field)


def test_a_status_outside_the_vocabulary_lists_the_valid_ones(home):
    path, line = _break(home, "networks/frikommune-ii-2.yaml", "status: approved", "status: approvd")
    [error] = schema.check(home / "data")
    assert (error.file, error.line, error.rule) == (str(path), line, "schema/enum")
    assert "'approvd' is not one of: " + ", ".join(fields.STATUSES) in error.message
    assert re.fullmatch(r"trials\[[0-9]+\]\.status", error.field) and error.message.startswith(error.field + ": ")


def test_errors_are_collected_across_files(home):
    first = _break(home, "statutes.yaml", "type: lov", "type: law")
    second = _break(home, "networks/frikommune-ii-7.yaml", "decision: rejected", "decision: refused")
    errors = schema.check(home / "data")
    assert [(e.file, e.line, e.rule) for e in errors] == [
        (str(second[0]), second[1], "schema/enum"), (str(first[0]), first[1], "schema/enum")]


def test_every_error_in_a_file_is_reported_up_to_the_limit(home):
    path = home / "data" / "statutes.yaml"
    path.write_text("".join(f'- id: S{i}\n  title: {{da: "Lov {i}"}}\n  type: law\n' for i in range(150)), encoding="utf-8")
    errors = schema.check(home / "data")
    assert len(errors) == schema.LIMIT == 100
    assert [e.line for e in errors] == [3 * i + 3 for i in range(100)]


def test_a_trailing_newline_is_no_slug_and_no_clean_text(home):
    """Python's `$` matches before a final newline; the patterns refuse it as fields.py does."""
    _break(home, "statutes.yaml", "- id: SL\n", '- id: "SL\\n"\n')
    _break(home, "programmes.yaml", "- id: frikommune-ii\n", '- id: "frikommune-ii\\n"\n')
    outcomes = home / "data" / "outcomes.yaml"  # a block scalar keeps its final newline
    outcomes.write_text(re.sub(r'  text: \{da: "[^"]*"\}\n', "  text:\n    da: |\n      Ny tekst\n",
                               outcomes.read_text(encoding="utf-8"), count=1), encoding="utf-8")
    rules = {(Path(e.file).name, e.rule) for e in schema.check(home / "data")}
    assert {("statutes.yaml", "schema/pattern"), ("programmes.yaml", "schema/pattern"), ("outcomes.yaml", "schema/not")} <= rules


def test_an_unknown_file_is_named_with_the_nearest_known_one(home):
    (home / "data" / "outcome.yaml").write_text("- id: x\n", encoding="utf-8")
    [error] = schema.check(home / "data")
    assert error.file == str(home / "data" / "outcome.yaml") and error.rule == "schema/file"
    assert "did you mean outcomes.yaml?" in error.message


def test_a_home_without_schemas_uses_the_packaged_ones(home):
    for path in (home / "data" / "schema").iterdir():
        path.unlink()
    (home / "data" / "schema").rmdir()
    assert schema.check(home / "data") == []
    path, line = _break(home, "sources.yaml", "kind: report", "kind: book")
    assert [(e.file, e.line, e.rule) for e in schema.check(home / "data")] == [(str(path), line, "schema/enum")]


def test_the_homes_own_schema_wins(home):
    """A data repository that narrows a vocabulary in its own data/schema/ is checked against it."""
    own = home / "data" / "schema" / "statutes.json"
    contents = json.loads(own.read_text(encoding="utf-8"))
    contents["$defs"]["statute"]["properties"]["type"]["enum"] = ["lov"]
    own.write_text(json.dumps(contents), encoding="utf-8")
    errors = schema.check(home / "data")
    assert errors and all(e.rule == "schema/enum" and "'bekendtgørelse' is not one of: lov" in e.message for e in errors)


def test_a_broken_schema_in_the_home_is_one_error_naming_it(home):
    own = home / "data" / "schema" / "outcomes.json"
    own.write_text('{"type": "arrray"}', encoding="utf-8")
    [error] = schema.check(home / "data")
    assert (error.file, error.rule) == (str(own), "schema/schema") and "not a valid JSON Schema" in error.message
    own.write_text('{"type": ', encoding="utf-8")
    [error] = schema.check(home / "data")
    assert (error.file, error.line) == (str(own), 1) and "cannot be read" in error.message


def test_record_error_field_and_rule_are_optional():
    plain = RecordError("data/x.yaml", 3, "something is wrong; fix it")
    assert (plain.field, plain.rule, str(plain)) == (None, None, "data/x.yaml:3: something is wrong; fix it")
    tagged = RecordError("data/x.yaml", 3, "something is wrong; fix it", field="trials[0].status", rule="schema/enum")
    assert str(tagged) == str(plain) and (tagged.field, tagged.rule) == ("trials[0].status", "schema/enum")
