"""Hostile and careless records: no silent wrong answer, every resource bounded.

Each class of issue 24 that the record reader owns, with more instances than the issue lists:
misspelt keys anywhere, YAML 1.1 scalars, parent cycles, control characters, decomposed
Unicode, alias expansion, files that are not files, and unbounded values in messages. Every
case runs the CLI as a process and asserts the exit code and the one-line message; no output
says "internal error" or "Traceback"."""
from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest

NET1 = Path("data/networks/frikommune-ii-1.yaml")


def fk(home: Path, *args, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ}
    env.pop("FKGRAPH_HOME", None)
    r = subprocess.run([sys.executable, "-m", "fkgraph", "--home", str(home), *args], capture_output=True,
                       text=True, env=env, timeout=timeout)
    assert "internal error" not in r.stdout + r.stderr and "Traceback" not in r.stderr, r.stderr[-2000:]
    return r


def edit(home: Path, rel: Path | str, old: str, new: str, count: int = 1) -> Path:
    path = home / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return path


def line_of(path: Path, text: str) -> int:
    return next(i + 1 for i, t in enumerate(path.read_text(encoding="utf-8").splitlines()) if text in t)


def fails_at(r: subprocess.CompletedProcess, path: Path, line: int, *words: str) -> str:
    assert r.returncode == 1, r.stdout + r.stderr
    hits = [x for x in r.stderr.splitlines() if f"{path}:{line}: " in x]
    assert hits and all(w in hits[0] for w in words), r.stderr
    return hits[0]


# ---- misspelt keys drop facts no more ------------------------------------------------------------

KEYS = [  # (file, text as it is, the misspelling, the key that was meant)
    (NET1, "    exemptions:\n", "    exemptoins:\n", "exemptions"),
    (NET1, "    status: approved\n", "    statsu: approved\n", "status"),
    (NET1, "        cites: [", "        cite: [", "cites"),
    (NET1, "  members:", "  member:", "members"),
    ("data/statutes.yaml", "  variants:", "  variant:", "variants"),
    ("data/municipalities.yaml", "  name:", "  nmae:", "name"),
    ("data/sources.yaml", "  publisher:", "  publsher:", "publisher"),
    ("data/programmes.yaml", "      in_force:", "      in_forse:", "in_force"),
    ("data/outcomes.yaml", "  trials:", "  trails:", "trials"),
    (NET1, "    sources:\n      - {doc:", "    sources:\n      - {dco:", "doc"),
]


@pytest.mark.parametrize("rel,old,new,meant", KEYS, ids=[k[2].strip()[:12] for k in KEYS])
def test_a_misspelt_key_is_an_error_naming_the_nearest_key(home, rel, old, new, meant):
    path = edit(home, rel, old, new)
    typo = re.search(r"([a-z_]+):", new.strip().split("\n")[-1].lstrip("- {")).group(1)
    r = fk(home, "query", "statutes")
    hit = fails_at(r, path, line_of(path, new.strip().split("\n")[-1].strip()), repr(typo))
    assert f"did you mean {meant!r}" in hit


def test_the_misspelt_exemptions_key_no_longer_builds(home):
    edit(home, NET1, "    exemptions:\n", "    exemptoins:\n")
    r = fk(home, "build", "-o", str(home / "dist"))
    assert r.returncode == 1 and not (home / "dist" / "fkgraph.ttl").exists()


# ---- YAML 1.1 surprises ---------------------------------------------------------------------------

def test_a_leading_zero_is_never_octal(home):
    """`lines: 0100` is line 100 (never 64); `number: 0100` is refused (not a plain number)."""
    path = edit(home, NET1, 'lines: "', "lines: 0", 1) if False else home / NET1
    text = path.read_text(encoding="utf-8")
    m = re.search(r'\{doc: "(\d+)", lines: "(\d+)-(\d+)"\}', text)
    doc, start, end = m.groups()
    assert len(start) == 3  # a three-digit line: a leading zero makes it look octal
    path.write_text(text.replace(m.group(0), f'{{doc: "{doc}", lines: 0{start}}}', 1), encoding="utf-8")
    r = fk(home, "query", "--sparql", f"SELECT ?x WHERE {{ ?x <https://w3id.org/fkgraph/ontology#startLine> {int(start)} }}",
           "-f", "csv")
    assert r.returncode == 0 and "lines/" + start in r.stdout, r.stdout + r.stderr
    edit(home, NET1, "  number: 1\n", "  number: 01\n")
    r = fk(home, "query", "statutes")
    fails_at(r, home / NET1, line_of(home / NET1, "number: 01"), "number")


@pytest.mark.parametrize("old,new,word", [
    ("  number: 1\n", "  number: 1:00\n", "number"),                 # sexagesimal, 60 in YAML 1.1
    ("  number: 1\n", "  number: 0b1\n", "number"),                  # binary in YAML 1.1
    ("  number: 1\n", "  number: 1_0\n", "number"),                  # underscores in YAML 1.1
    ("    status: approved\n", "    status: on\n", "'on'"),          # a boolean in YAML 1.1
], ids=["sexagesimal", "binary", "underscore", "on"])
def test_yaml_1_1_scalars_are_text_and_refused_where_a_value_is_needed(home, old, new, word):
    path = edit(home, NET1, old, new)
    fails_at(fk(home, "query", "statutes"), path, line_of(path, new.strip()), word)


def test_yes_is_not_true(home):
    path = home / NET1
    text = path.read_text(encoding="utf-8")
    at = text.index("      - kind: ")
    path.write_text(text[:at] + "      - partial: yes\n        kind: " + text[at + len("      - kind: "):], encoding="utf-8")
    fails_at(fk(home, "query", "statutes"), path, line_of(path, "partial: yes"), "partial must be true or false")


# ---- cycles -----------------------------------------------------------------------------------------

def test_parents_that_form_a_cycle_are_refused_naming_both(home):
    path = home / NET1
    text = path.read_text(encoding="utf-8")
    ids = re.findall(r"^  - id: (\S+)$", text, flags=re.M)
    a, b = ids[0], ids[1]
    text = text.replace(f"  - id: {a}\n", f"  - id: {a}\n    parent: {b}\n", 1)
    text = text.replace(f"  - id: {b}\n", f"  - id: {b}\n    parent: {a}\n", 1)
    path.write_text(text, encoding="utf-8")
    r = fk(home, "query", "statutes")
    assert r.returncode == 1
    cycle = [x for x in r.stderr.splitlines() if "cycle" in x]
    assert cycle and all(a in x and b in x for x in cycle), r.stderr
    # a trial that is its own parent, too
    path.write_text(path.read_text(encoding="utf-8").replace(f"    parent: {a}\n", f"    parent: {b}\n", 1), encoding="utf-8")
    assert "cycle" in fk(home, "query", "statutes").stderr


# ---- text that is not text --------------------------------------------------------------------------

@pytest.mark.parametrize("escape", ["\\0", "\\u0001", "\\e]0;owned\\a", "\\x7f", "\\u2028", "\\x1b[31m"])
def test_control_characters_are_refused_at_load(home, escape):
    path = home / NET1
    text = path.read_text(encoding="utf-8")
    m = re.search(r'name: \{da: "([^"]+)"', text)
    path.write_text(text.replace(m.group(0), f'name: {{da: "{m.group(1)}{escape}"', 1), encoding="utf-8")
    r = fk(home, "query", "trials", "-f", "csv")
    line = fails_at(r, path, line_of(path, escape.replace("\\\\", "\\")), "control character")
    assert "\x1b" not in r.stderr and "\x00" not in r.stderr and len(line) < 400


def test_text_typed_decomposed_finds_what_composed_finds(home):
    nfc = fk(home, "query", "trials", "-p", "text=ø", "-f", "csv")
    nfd = fk(home, "query", "trials", "-p", "text=" + unicodedata.normalize("NFD", "ø"), "-f", "csv")
    assert nfc.returncode == nfd.returncode == 0 and nfc.stdout == nfd.stdout and nfc.stdout.count("\n") > 5
    # and records typed decomposed are stored composed
    path = home / "data" / "municipalities.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("København", unicodedata.normalize("NFD", "København")), encoding="utf-8")
    r = fk(home, "query", "municipality-trials", "-p", "municipality=København", "-f", "csv")
    assert r.returncode == 0 and r.stdout.count("\n") > 1, r.stdout + r.stderr


# ---- every resource bounded ----------------------------------------------------------------------

def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def test_alias_expansion_is_refused_at_once(home):
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        bomb.append(f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{chr(96 + i)}"] * 10) + "]")
    path = home / "data" / "networks" / "frikommune-ii-9.yaml"
    path.write_text("\n".join(bomb) + "\n", encoding="utf-8")
    started = time.monotonic()
    r = fk(home, "query", "statutes", timeout=60)
    assert time.monotonic() - started < 30
    fails_at(r, path, 2, "alias")


def test_a_value_of_megabytes_is_refused_and_never_printed_whole(home):
    path = home / NET1
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("    status: approved\n", "    status: " + "x" * 17_000_000 + "\n", 1), encoding="utf-8")
    r = fk(home, "query", "statutes", timeout=120)
    assert r.returncode == 1 and len(r.stderr) < 2000 and "status" in r.stderr, r.stderr[:500]


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "folder", "sparse"])
def test_a_yaml_that_is_not_a_regular_file_is_refused_without_reading_it(home, kind):
    path = home / "data" / "networks" / "frikommune-ii-9.yaml"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev-zero":
        path.symlink_to("/dev/zero")
    elif kind == "folder":
        path.mkdir()
    else:
        with open(path, "wb") as f:
            f.truncate(5 * 1024**3)
    started = time.monotonic()
    r = fk(home, "query", "statutes", timeout=60)
    assert time.monotonic() - started < 30
    assert r.returncode == 1 and str(path) in r.stderr and r.stderr.count("\n") >= 1, r.stderr
    assert ("not a regular file" in r.stderr) if kind != "sparse" else ("bytes" in r.stderr)
