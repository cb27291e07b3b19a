"""Careless input gets one line naming the file, value or option and what would be valid: never
"internal error", never a traceback, no temporary file left behind (`_clean` checks every output)."""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _clean(*texts: str) -> None:
    for text in texts:
        assert "internal error" not in text and "Traceback" not in text, text


def fkgraph(*args: str, home: Path = ROOT, env: dict | None = None, stdout=None, cwd=None) -> subprocess.CompletedProcess:
    environ = {**os.environ, "PYTHONPATH": str(ROOT / "src"), **(env or {})}
    r = subprocess.run([sys.executable, "-m", "fkgraph", "--home", str(home), *args], text=True, env=environ,
                       stdout=stdout if stdout is not None else subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=300, cwd=cwd)
    _clean(r.stdout or "", r.stderr)
    return r


def one_line(r: subprocess.CompletedProcess) -> str:
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    return lines[0]


def leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(".part") or ".old-" in p.name]


# ---- numbers and addresses ---------------------------------------------------------------------

@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "-1", "0", "1e400", "1e-400", "abc", "", "604801"])
@pytest.mark.parametrize("command", [("query", "trials"), ("push", "--endpoint", "http://127.0.0.1:9/query"),
                                     ("serve", "--port", "0")])
def test_timeout_takes_finite_positive_seconds(command, value):
    r = fkgraph(*command, "--timeout", value)
    assert r.returncode == 2
    line = one_line(r)
    assert line.startswith(f"fkgraph: --timeout {value!r}") and "more than 0 and at most 604800" in line


def test_a_valid_timeout_still_runs():
    r = fkgraph("query", "trials", "--timeout", "120")
    assert r.returncode == 0 and r.stdout.startswith("network,trial")


@pytest.mark.parametrize("address", ["127.0.0.1 ", " 127.0.0.1", "127.0.0.1\t", "", "127.0.0.1\n", "no-such-host.invalid",
                                     "999.1.1.1", "127.0.0.1:80", "local host"])
def test_bind_is_an_address_as_typed(address):
    r = fkgraph("serve", "--bind", address, "--port", "0")
    assert r.returncode == 2
    line = one_line(r)
    assert "--bind" in line and "not an address this machine can listen on" in line


@pytest.mark.parametrize("base", ["javascript:alert(1)//", "data:text/html,x/", "file:///etc/", "ftp://x.org/",
                                  "https://example.org/no-end", "http://exa mple.org/", "https://" + "a" * 300 + "/",
                                  "", "https://example.org/\x7f/", "https://exa<mple.org/"])
def test_base_must_be_an_http_iri(base):
    r = fkgraph("--base", base, "query", "trials")
    assert r.returncode == 2
    line = one_line(r)
    assert "--base" in line and "give an http(s) IRI" in line


@pytest.mark.parametrize("epoch", ["abc", "-5", "1e3", " ", "1.5", "99999999999999999", "253402300800", "٣"])
def test_source_date_epoch_is_checked(tmp_path, epoch):
    r = fkgraph("publish", "-o", str(tmp_path / "out"), "--no-validate", env={"SOURCE_DATE_EPOCH": epoch})
    assert r.returncode == 2
    assert f"SOURCE_DATE_EPOCH={epoch!r}" in one_line(r)
    assert not (tmp_path / "out").exists() and not leftovers(tmp_path)


# ---- broken files in the home ------------------------------------------------------------------

@pytest.mark.parametrize("garbage", [b"@prefix sh: <http://www.w3.org/ns/shacl#> . not turtle {", b"\xff\xfe\x00",
                                     b"<a> <b> .\n"])
def test_corrupt_shapes_are_one_line(home, garbage):
    shapes = home / "ontology" / "shapes.ttl"
    shapes.write_bytes(shapes.read_bytes() + b"\n" + garbage)
    r = fkgraph("build", "-o", str(home / "out.ttl"), home=home)
    assert r.returncode in (1, 2)
    assert str(shapes) in one_line(r)


@pytest.mark.parametrize("decorators", ["#+ summary: [unclosed\n", "#+ tags: {a: \n", "#+ - a list\n",
                                        "#+ summary: x\n#+ summary: x: y\n", "#+ params: 5\n"])
def test_a_broken_query_file_does_not_hide_the_others(home, decorators):
    broken = home / "queries" / "applications.rq"
    broken.write_text(decorators + broken.read_text(encoding="utf-8"), encoding="utf-8")
    r = fkgraph("queries", "-f", "csv", home=home)
    if r.returncode == 0:  # a decorator the loader accepts: then it must still be listed
        assert "\napplications," in r.stdout
        return
    assert r.returncode == 1 and str(broken) in one_line(r)
    names = [line.split(",")[0] for line in r.stdout.splitlines()[1:]]
    assert "trials" in names and "applications" not in names
    assert len(names) == len(list((home / "queries").glob("*.rq"))) - 1
    good = fkgraph("query", "trials", home=home)  # the good ones still run
    assert good.returncode == 0 and good.stdout.startswith("network,trial")


@pytest.mark.parametrize("text", ["x: 1\n", "- 5\n", "- {id: lab, title: 5, type: lov}\n", "[[[[\n",
                                  "- {abbreviation: LAB}\n", "- !!python/object:os.system {}\n"])
def test_malformed_statutes_under_cite(home, text):
    (home / "data" / "statutes.yaml").write_text(text, encoding="utf-8")
    r = fkgraph("cite", "LAB § 1", home=home)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert lines and all(line.startswith(f"fkgraph: {home / 'data' / 'statutes.yaml'}:") for line in lines), r.stderr


# ---- writes that fail ----------------------------------------------------------------------------

@pytest.mark.parametrize("command", [("query", "trials"), ("query", "trials", "-f", "json"), ("queries",),
                                     ("cite", "LAB § 1"), ("stats",), ("export", "-o", "-", "-f", "ntriples"),
                                     ("query", "--sparql", "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")])
def test_standard_output_on_a_full_device(command):
    with open("/dev/full", "w") as full:
        r = fkgraph(*command, stdout=full)
    assert r.returncode == 1
    assert one_line(r) == "fkgraph: standard output: No space left on device; the device is full; free some " \
                          "space or write elsewhere"


@contextlib.contextmanager
def mounted(folder: Path, *options: str):
    """A tmpfs (or a read-only bind) at `folder`; skips where this process may not mount (not root)."""
    folder.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", *options, str(folder)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount here ({r.stderr.strip()}): needs root")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


WRITES = [("query", "trials", "-o", "{}/answer.csv"), ("export", "-o", "{}/graph.ttl"),
          ("build", "-o", "{}/graph.nt"), ("docs", "-o", "{}/docs")]


@pytest.mark.parametrize("command", WRITES)
def test_a_full_disk_names_the_path(tmp_path, command):
    with mounted(tmp_path / "small", "-t", "tmpfs", "-o", "size=8k", "tmpfs") as small:
        (small / "filler").write_bytes(b"x" * 4096)  # what is left is smaller than any output
        args = [a.format(small) for a in command]
        r = fkgraph(*args)
        assert r.returncode == 1
        line = one_line(r)
        assert line.startswith(f"fkgraph: {small}/") and "No space left on device" in line
        assert sorted(p.name for p in small.iterdir()) == ["filler"]  # nothing half-written, no temporary file


@pytest.mark.parametrize("command", WRITES)
def test_a_read_only_disk_names_the_path(tmp_path, command):
    (tmp_path / "ro").mkdir()
    with mounted(tmp_path / "ro", "--bind", "-o", "ro", str(tmp_path / "ro")) as ro:
        args = [a.format(ro) for a in command]
        r = fkgraph(*args)
        assert r.returncode == 1
        line = one_line(r)
        assert line.startswith(f"fkgraph: {ro}") and "Read-only file system" in line
        assert list(ro.iterdir()) == []


@pytest.mark.parametrize("command", WRITES)
def test_a_folder_that_refuses_writes_names_the_path(command):
    """/sys refuses new files even to root (EPERM or EACCES): the permission case without a mount."""
    target = Path("/sys/fkgraph-test")
    r = fkgraph(*[a.format(target) for a in command])
    assert r.returncode == 1
    line = one_line(r)
    assert line.startswith("fkgraph: /sys/")
    assert any(why in line for why in ("Permission denied", "Operation not permitted", "Read-only"))
    assert not target.exists()


# ---- values that are too long to print ---------------------------------------------------------

@pytest.mark.parametrize("args", [("query", "trials", "-p", "network=" + "9" * 5000),
                                  ("--base", "https://example.org/" + "x" * 5000 + "/", "query", "trials"),
                                  ("query", "trials", "--timeout", "1" * 5000),
                                  ("cite", "LAB § 1" + "9" * 5000)])
def test_a_huge_value_is_not_printed_whole(args):
    r = fkgraph(*args)
    assert r.returncode in (1, 2)
    line = one_line(r)
    assert len(line) < 600, line  # shortened, by the message itself or by the CLI
