"""Hostile and careless files: a damaged build cache, kills while publishing, planted links and
stray temporary files, special files in data/, and inputs that expand without bound.

Every case runs the real `fkgraph` command as a process and asserts its exit code, its one-line
message, that nothing says "internal error" or shows a traceback, and, where outputs exist, that
they are what a clean run gives (or the previous run's, byte for byte) with no temporary file
left. Resource cases also bound the process's time and peak memory (ru_maxrss).
"""
from __future__ import annotations

import gzip
import hashlib
import os
import re
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest

from fkgraph import fsio
from fkgraph.model.citations import MAX_PROVISIONS
from fkgraph.rdf import cache

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float


_LAUNCHER = ("import os, signal, sys\npid = os.fork()\nif pid == 0:\n    os.execv(sys.executable, [sys.executable] + sys.argv[2:])\n"
             "signal.signal(signal.SIGTERM, lambda *a: os.kill(pid, signal.SIGKILL))\n"
             "_, status, usage = os.wait4(pid, 0)\nopen(sys.argv[1], 'w').write(str(usage.ru_maxrss))\n"
             "sys.exit(os.waitstatus_to_exitcode(status))\n")


def run(*args: str, env: dict | None = None, timeout: float = 120, stdin: bytes | None = None,
        python: str | None = None, cwd: Path = ROOT) -> Run:
    """`fkgraph ARGS` (or `python -c PYTHON ARGS`) as a process, with its time and peak memory;
    killed at `timeout`."""
    inner = ["-c", python, *args] if python else ["-m", "fkgraph", *args]
    # Linux carries a process's peak RSS across exec, so a child forked straight from this (large)
    # test process would report this process's size: a small launcher forks it and reports its peak.
    peak = tempfile.NamedTemporaryFile(delete=False)
    peak.close()
    cmd = [sys.executable, "-c", _LAUNCHER, peak.name, *inner]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as inp:
        inp.write(stdin or b"")
        inp.seek(0)
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=inp, env={**os.environ, **(env or {})}, cwd=cwd)
        timer = threading.Timer(timeout, proc.terminate)  # the launcher kills its child
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        kb = Path(peak.name).read_text() or str(usage.ru_maxrss)
        os.unlink(peak.name)
        r = Run(proc.returncode, out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"),
                time.monotonic() - start, int(kb) / 1024)
    assert "internal error" not in r.stdout + r.stderr and "Traceback" not in r.stdout + r.stderr, r
    return r


def fails(r: Run, code: int, *fragments: str) -> str:
    """The one line `r` ended with, after checking its exit code and what it says."""
    lines = r.stderr.strip().splitlines()
    assert r.code == code and len(lines) == 1 and lines[0].startswith("fkgraph: "), r
    for f in fragments:
        assert f in lines[0], (f, lines[0])
    return lines[0]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under `folder` → its SHA-256 (a killed writer's empty lock file is no output)."""
    return {p.relative_to(folder).as_posix(): digest(p) for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != fsio.LOCK_NAME}


def strays(folder: Path) -> list[str]:
    """Temporary files and staged folders (`.NAME.PID.….part`) anywhere under `folder`."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob(".*.part"))


# ---- 1. the build cache is verified ------------------------------------------------------------

def _damage(entry: Path, how: str) -> None:
    data = entry.read_bytes()
    head, body = data.split(b"\n", 1)
    if how == "truncated":
        entry.write_bytes(data[: len(data) // 2])
    elif how == "emptied":
        entry.write_bytes(b"")
    elif how == "one literal edited":  # same length, same triple count: only the digest sees it
        at = body.index(b'"En mere fleksibel')
        entry.write_bytes(head + b"\n" + body[:at] + b'"XX' + body[at + 3:])
    elif how == "one triple removed":
        lines = body.splitlines(keepends=True)
        entry.write_bytes(head + b"\n" + b"".join(lines[:100] + lines[101:]))
    elif how == "one triple added":
        entry.write_bytes(data + b"<https://w3id.org/fkgraph/id/x> <http://www.w3.org/2000/01/rdf-schema#label> \"x\" .\n")
    elif how == "header only rewritten":  # a body that matches a forged header's count but not its digest
        entry.write_bytes(re.sub(rb"sha256=[0-9a-f]{64}", b"sha256=" + b"0" * 64, head) + b"\n" + body)
    elif how == "old format (no header)":
        entry.write_bytes(body)
    elif how == "garbage":
        entry.write_bytes(os.urandom(len(data)))
    elif how == "link to /dev/zero":
        entry.unlink()
        entry.symlink_to("/dev/zero")
    elif how == "a FIFO":
        entry.unlink()
        os.mkfifo(entry)
    elif how == "a folder":
        entry.unlink()
        (entry / "x").mkdir(parents=True)
    elif how == "another key's entry":  # whole and consistent, but built from other inputs
        from fkgraph import api

        other = api.build(ROOT, base="https://other.example.org/", cache=False).store
        cache.save(entry.with_name("build-" + "f" * 40 + ".nt"), other)
        os.replace(entry.with_name("build-" + "f" * 40 + ".nt"), entry)


DAMAGES = ["truncated", "emptied", "one literal edited", "one triple removed", "one triple added",
           "header only rewritten", "old format (no header)", "garbage", "link to /dev/zero", "a FIFO", "a folder",
           "another key's entry"]


@pytest.fixture(scope="module")
def fresh_overview(tmp_path_factory) -> str:
    """`query network-overview` from a build with no cache at all."""
    r = run("query", "network-overview", env={"FKGRAPH_CACHE": str(tmp_path_factory.mktemp("empty-cache"))})
    assert r.code == 0 and r.stdout.count("\n") == 9, r
    return r.stdout


@pytest.mark.parametrize("how", DAMAGES)
def test_a_damaged_cache_entry_is_rebuilt_never_believed(tmp_path, fresh_overview, how):
    env = {"FKGRAPH_CACHE": str(tmp_path)}
    assert run("query", "network-overview", env=env).stdout == fresh_overview  # fills the cache
    [entry] = tmp_path.glob("build-*.nt")
    _damage(entry, how)
    r = run("query", "network-overview", env=env, timeout=60)
    assert r.code == 0 and r.stdout == fresh_overview and r.stderr == "", r
    # rebuilt: the entry is again a regular file that matches its header (a folder stays, unused)
    if how != "a folder":
        assert entry.is_file() and not entry.is_symlink() and cache.load(entry) is not None
    assert strays(tmp_path) == []


def test_eviction_sweeps_temporary_files_of_dead_writers(tmp_path):
    dead = tmp_path / f".build-{'a' * 40}.nt.99999999999.x.part"
    live = tmp_path / f".build-{'b' * 40}.nt.{os.getpid()}.x.part"
    dead.write_text("half"), live.write_text("half")
    cache.evict(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [live.name]


def test_the_cache_keeps_at_most_its_bound_of_entries_and_bytes(tmp_path):
    store = ox.Store()
    for i in range(cache.MAX_ENTRIES + 5):
        store.add(ox.Quad(ox.NamedNode(f"urn:s{i}"), ox.NamedNode("urn:p"), ox.Literal("x" * 1000)))
        path = cache.entry(tmp_path, f"{i:040x}")
        cache.save(path, store)
        os.utime(path, (1_000_000 + i, 1_000_000 + i))  # saved in this order, a second apart
    kept = sorted(p.name for p in tmp_path.glob("build-*.nt"))
    assert kept == sorted(cache.entry(tmp_path, f"{i:040x}").name for i in range(5, cache.MAX_ENTRIES + 5))
    # the byte bound: the newest entries that fit, the newest always first
    sizes = {p: p.stat().st_size for p in tmp_path.glob("build-*.nt")}
    gone = cache.evict(tmp_path, max_total=sum(sorted(sizes.values())[-3:]))
    left = sorted(tmp_path.glob("build-*.nt"), key=lambda p: p.stat().st_mtime)
    assert len(left) == 3 and len(gone) == cache.MAX_ENTRIES - 3
    assert [p.name for p in left] == [cache.entry(tmp_path, f"{i:040x}").name for i in range(cache.MAX_ENTRIES + 2, cache.MAX_ENTRIES + 5)]


def test_a_loaded_entry_is_used_last_evicted_last(tmp_path, home):
    """Loading an entry marks it recently used."""
    from fkgraph import api

    from dataclasses import replace

    s = replace(api.settings(home), cache_dir=tmp_path)
    api.build(s)
    [entry] = tmp_path.glob("build-*.nt")
    os.utime(entry, (1, 1))
    assert api.build(s).store is not None and entry.stat().st_mtime > 1000


def test_a_huge_base_makes_neither_a_huge_key_nor_an_entry(tmp_path):
    huge = "https://example.org/" + "a" * 100_000 + "/"
    r = run("--base", huge, "query", "network-overview", env={"FKGRAPH_CACHE": str(tmp_path)})
    line = fails(r, 2, "--base")
    assert len(line) < 400 and list(tmp_path.iterdir()) == []
    key = cache.key(ROOT / "data", huge, ROOT / "src" / "fkgraph")
    assert key == cache.key(ROOT / "data", huge, ROOT / "src" / "fkgraph") and len(key) == 40


def test_the_reader_and_the_cache_key_share_one_size_bound():
    from fkgraph.model import yamlio

    assert yamlio.MAX_BYTES == fsio.RECORD_MAX_BYTES


# ---- special and huge files in data/: checked before a byte is read ----------------------------

def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _dev_zero(path: Path) -> None:
    path.symlink_to("/dev/zero")


def _dev_random(path: Path) -> None:
    path.symlink_to("/dev/urandom")


def _sparse(path: Path) -> None:
    with open(path, "wb") as f:
        f.truncate(5 * 1024 ** 3)  # 5 GB that take no disk


def _just_too_big(path: Path) -> None:
    with open(path, "wb") as f:
        f.truncate(fsio.RECORD_MAX_BYTES + 1)


SPECIAL = {"a FIFO": (_fifo, "is a FIFO (named pipe), not a regular file"),
           "a link to /dev/zero": (_dev_zero, "is a character device, not a regular file"),
           "a link to /dev/urandom": (_dev_random, "is a character device, not a regular file"),
           "a 5 GB sparse file": (_sparse, f"{5 * 1024 ** 3} bytes"),  # the reader's message, from its stat
           "one byte over the bound": (_just_too_big, f"{fsio.RECORD_MAX_BYTES + 1} bytes")}


@pytest.mark.parametrize("what", sorted(SPECIAL))
@pytest.mark.parametrize("where", ["networks/zz.yaml", "zz.yaml"])
def test_a_special_or_huge_data_file_is_refused_before_it_is_read(tmp_path, home, what, where):
    make, message = SPECIAL[what]
    make(home / "data" / where)
    r = run("--home", str(home), "query", "network-overview", env={"FKGRAPH_CACHE": str(tmp_path / "cache")},
            timeout=30)
    if where == "zz.yaml" and "bytes" in message:  # a regular file the reader does not read: not read here either
        assert r.code == 0 and r.stdout.count("\n") == 9, r
    else:
        fails(r, 1, f"{home / 'data' / where}", message)
    assert r.seconds < 20 and r.peak_mb < 300, r
    assert not (tmp_path / "cache").exists()  # nothing cached


def test_check_regular_reads_nothing(tmp_path):
    fifo = tmp_path / "p.yaml"
    os.mkfifo(fifo)  # opening it for reading would block without a writer
    for path in (fifo, Path("/dev/zero")):
        with pytest.raises(fsio.InputError, match="not a regular file"):
            fsio.check_regular(path, 100)
        with pytest.raises(fsio.InputError, match="not a regular file"):
            fsio.read_regular(path, 100)
    (tmp_path / "ok.yaml").write_bytes(b"x" * 100)
    assert fsio.read_regular(tmp_path / "ok.yaml", 100) == b"x" * 100
    with pytest.raises(fsio.InputError, match="is 100 bytes; at most 99"):
        fsio.read_regular(tmp_path / "ok.yaml", 99)


# ---- 3. files opened safely --------------------------------------------------------------------

def test_the_build_lock_never_writes_through_a_planted_link(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious first bytes\n")
    out = tmp_path / "dist"
    out.mkdir()
    (out / fsio.LOCK_NAME).symlink_to(victim)
    r = run("build", "--output", str(out), timeout=60)
    fails(r, 2, f"{out / fsio.LOCK_NAME}: is a symbolic link")
    assert victim.read_bytes() == b"precious first bytes\n"
    assert sorted(p.name for p in out.iterdir()) == [fsio.LOCK_NAME]


def test_the_build_lock_never_truncates_a_hard_linked_file(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious\n")
    out = tmp_path / "dist"
    out.mkdir()
    os.link(victim, out / fsio.LOCK_NAME)
    fails(run("build", "--output", str(out), timeout=60), 2, "is a hard link to another file")
    assert victim.read_bytes() == b"precious\n"


def test_an_output_that_is_a_link_is_replaced_never_written_through(tmp_path, built):
    victim = tmp_path / "victim.nt"
    victim.write_bytes(b"precious\n")
    link = tmp_path / "out.nt"
    link.symlink_to(victim)
    assert run("export", "--output", str(link)).code == 0
    assert victim.read_bytes() == b"precious\n" and not link.is_symlink()
    assert link.read_bytes().count(b"\n") == len(built)


def test_an_output_that_is_a_fifo_is_written_to_not_replaced(tmp_path, built):
    fifo = tmp_path / "out.nt"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    r = run("export", "--output", str(fifo), timeout=60)
    reader.join(timeout=60)
    assert r.code == 0 and got and got[0].count(b"\n") == len(built), r
    assert stat.S_ISFIFO(fifo.lstat().st_mode) and sorted(p.name for p in tmp_path.iterdir()) == ["out.nt"]


@pytest.mark.parametrize("fmt", ["ntriples", "turtle"])
def test_export_to_dev_stdout_writes_to_it_and_leaves_the_link(built, fmt):
    before = os.readlink("/dev/stdout") if os.path.islink("/dev/stdout") else None
    r = run("export", "--output", "/dev/stdout", "--format", fmt)
    assert r.code == 0 and r.stderr == "/dev/stdout: %d triples\n" % len(built), r
    store = ox.Store()
    store.load(r.stdout.encode(), format={"ntriples": ox.RdfFormat.N_TRIPLES, "turtle": ox.RdfFormat.TURTLE}[fmt])
    assert len(store) == len(built)
    assert (os.readlink("/dev/stdout") if os.path.islink("/dev/stdout") else None) == before


def test_a_lock_that_is_a_fifo_is_refused_at_once(tmp_path):
    out = tmp_path / "dist"
    out.mkdir()
    os.mkfifo(out / fsio.LOCK_NAME)
    fails(run("build", "--output", str(out), timeout=30), 2, "is not a regular file")


def test_a_stale_lock_file_with_junk_is_taken(tmp_path):
    out = tmp_path / "dist"
    out.mkdir()
    (out / fsio.LOCK_NAME).write_text("not a pid at all, and longer than one\n")
    with fsio.output_lock(out) as path:
        assert path.read_text() == f"{os.getpid()}\n"
    assert list(out.iterdir()) == []


#: Temporary names left by a dead writer (swept) and names that are no writer's (left alone).
ABSURD = [".fkgraph.nt.99999999999999999999.x.part", ".fkgraph.nt.4294967296.x.part", ".fkgraph.nt.0.x.part",
          ".fkgraph.nt.2147483647.abc.part"]
NOT_OURS = [".fkgraph.nt.-1.x.part", ".fkgraph.nt.١٢٣.x.part", ".fkgraph.nt..part", ".fkgraph.nt.gz.123.x.part"]


def test_stray_temporary_files_with_absurd_names_never_stop_a_write(tmp_path, built):
    out = tmp_path / "dist"
    out.mkdir()
    for name in ABSURD + NOT_OURS:
        (out / name).write_text("stray")
    (out / ".fkgraph.nt.3999999999.dir.part").mkdir()  # a staged folder of a dead run
    victim = tmp_path / "victim"
    victim.write_text("keep")
    (out / ".fkgraph.nt.99999999.link.part").symlink_to(victim)  # swept as a link, never followed
    for _ in range(2):
        r = run("export", "--output", str(out / "fkgraph.nt"))
        assert r.code == 0, r
    assert sorted(p.name for p in out.iterdir()) == sorted(["fkgraph.nt", *NOT_OURS])
    assert victim.read_text() == "keep"
    assert (out / "fkgraph.nt").read_bytes().count(b"\n") == len(built)


@pytest.mark.parametrize("given,options,written", [
    ("newdir/", [], "newdir/fkgraph.ttl"),
    ("existing", [], "existing/fkgraph.ttl"),
    ("existing/", ["--format", "ntriples"], "existing/fkgraph.nt"),
    ("a/b/", ["--gzip"], "a/b/fkgraph.ttl.gz"),
    ("newdir/", ["--format", "rdfxml"], "newdir/fkgraph.rdf"),
])
def test_export_into_a_folder_writes_the_default_name_there(tmp_path, given, options, written):
    (tmp_path / "existing").mkdir()
    r = run("export", "--output", str(tmp_path) + "/" + given, *options)
    assert r.code == 0 and r.stderr.startswith(f"{tmp_path / written}: "), r
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert files == [written]


@pytest.mark.parametrize("command", [["query", "network-overview"], ["validate", "--allow-empty"]])
def test_other_outputs_named_as_a_folder_are_refused_in_one_line(tmp_path, command):
    r = run(*command, "--output", f"{tmp_path}/newdir/", timeout=120)
    fails(r, 2, f"{tmp_path}/newdir/: is a folder; give the name of the file to write")
    assert list(tmp_path.iterdir()) == []


def test_site_into_a_link_to_an_empty_folder_keeps_the_link(tmp_path):
    real = tmp_path / "www"
    real.mkdir()
    link = tmp_path / "public"
    link.symlink_to(real)
    r = run("site", "--output", str(link), "--no-validate", timeout=300)
    assert r.code == 0, r
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert (real / "index.html").is_file() and (real / "dcat.ttl").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["public", "www"]


# ---- 2. publish and site: one complete set, whatever is killed when ----------------------------

def complete(folder: Path) -> dict[str, str]:
    """The publication in `folder` as a snapshot, after checking that it is one set: dcat.ttl lists
    exactly the dump files there, with their sizes and checksums, and both VoID copies agree."""
    files = snapshot(folder)
    g = ox.Store()
    g.load(path=str(folder / "dcat.ttl"), format=ox.RdfFormat.TURTLE)
    listed = {}
    for row in g.query("PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX spdx: <http://spdx.org/rdf/terms#> "
                       "SELECT ?url ?size ?sum WHERE { ?d dcat:downloadURL ?url ; dcat:byteSize ?size ; "
                       "spdx:checksum/spdx:checksumValue ?sum }"):
        rel = "dump/" + row["url"].value.split("/dump/", 1)[1]
        listed[rel] = row["sum"].value
        assert (folder / rel).stat().st_size == int(row["size"].value)
    assert set(listed) == {r for r in files if r.startswith("dump/fkgraph.")}, (listed, files)
    assert all(files[rel] == s for rel, s in listed.items())
    assert files["void.ttl"] == files[".well-known/void"]
    return files


OLD = ["--base", "https://old.example.org/fk/"]
NEW = ["--base", "https://new.example.org/fk/", "--gzip"]


@pytest.fixture(scope="module")
def publications(tmp_path_factory) -> tuple[dict, dict]:
    """The old and the new publication, each written whole once (publish is deterministic)."""
    out = tmp_path_factory.mktemp("sets")
    assert run("publish", "-o", str(out / "old"), "--no-validate", *OLD).code == 0
    assert run("publish", "-o", str(out / "new"), "--no-validate", *NEW).code == 0
    old, new = complete(out / "old"), complete(out / "new")
    assert set(old) != set(new)
    return old, new


def _publish_until(dist: Path, point: str, python: str | None = None) -> int:
    """Start publishing NEW into `dist`, SIGKILL it once it says it reached `point`; its pid."""
    args = ["publish", "-o", str(dist), "--no-validate", *NEW]
    cmd = [sys.executable, "-c", python, *args] if python else [sys.executable, "-m", "fkgraph", *args]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            env={**os.environ, fsio.PAUSE_VARIABLE: point})
    line = proc.stderr.readline()
    assert line == f"fkgraph: paused at {point}\n", (line, proc.stderr.read())
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stderr.close()
    return proc.pid


@pytest.mark.slow
@pytest.mark.parametrize("point,after", [("dumps", "old"), ("staged", "old"), ("swapped", "new")])
def test_a_publish_killed_at_any_step_leaves_one_complete_set(tmp_path, publications, point, after):
    old, new = publications
    dist = tmp_path / "dist"
    assert run("publish", "-o", str(dist), "--no-validate", *OLD).code == 0
    pid = _publish_until(dist, point)
    assert complete(dist) == {"old": old, "new": new}[after]
    assert all(f".dist.{pid}." in s for s in strays(tmp_path)) and strays(tmp_path)  # only the dead run's
    # the next run sweeps what the dead one left and publishes whole
    assert run("publish", "-o", str(dist), "--no-validate", *NEW).code == 0
    assert complete(dist) == new and strays(tmp_path) == []


@pytest.mark.slow
def test_a_publish_killed_before_its_first_swap_leaves_no_target(tmp_path, publications):
    _publish_until(tmp_path / "dist", "staged")
    assert snapshot(tmp_path / "dist") == {}  # at most the dead run's lock file, which the next run takes
    assert run("publish", "-o", str(tmp_path / "dist"), "--no-validate", *NEW).code == 0
    assert complete(tmp_path / "dist") == publications[1] and strays(tmp_path) == []


NO_EXCHANGE = ("import sys; from fkgraph import fsio; fsio._exchange = lambda a, b: False\n"
               "from fkgraph.cli import cli; cli(sys.argv[1:], prog_name='fkgraph')")


@pytest.mark.slow
def test_without_rename_exchange_a_kill_between_the_renames_is_undone_by_the_next_run(tmp_path, publications):
    old, new = publications
    dist = tmp_path / "dist"
    assert run("publish", "-o", str(dist), "--no-validate", *OLD).code == 0
    _publish_until(dist, "aside", python=NO_EXCHANGE)
    [aside] = [tmp_path / s for s in strays(tmp_path) if s.endswith(".old.part")]
    assert not dist.exists() and complete(aside) == old  # the old set, whole, beside the target
    r = run("publish", "-o", str(dist), "--no-validate", *OLD, python=NO_EXCHANGE)
    assert r.code == 0 and complete(dist) == old and strays(tmp_path) == []


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.4, 0.8, 1.2, 1.6, 2.0])
def test_a_publish_killed_after_a_delay_leaves_the_old_or_the_new_set(tmp_path, publications, delay):
    old, new = publications
    dist = tmp_path / "dist"
    assert run("publish", "-o", str(dist), "--no-validate", *OLD).code == 0
    proc = subprocess.Popen([sys.executable, "-m", "fkgraph", "publish", "-o", str(dist), "--no-validate", *NEW],
                            stderr=subprocess.DEVNULL, cwd=ROOT)
    time.sleep(delay)
    proc.kill()
    proc.wait(timeout=30)
    assert complete(dist) in (old, new)


def test_publish_keeps_other_files_and_drops_its_own_stale_dumps(tmp_path, publications):
    old, new = publications
    dist = tmp_path / "dist"
    assert run("publish", "-o", str(dist), "--no-validate", *NEW).code == 0
    (dist / "fkgraph.ttl").write_text("a build's output\n")
    (dist / "ontology").mkdir()
    (dist / "ontology" / "index.html").write_text("docs\n")
    (dist / ".well-known" / "security.txt").write_text("Contact: x\n")
    (dist / "dump" / "notes.txt").write_text("mine\n")
    r = run("publish", "-o", str(dist), "--no-validate", *OLD)
    assert r.code == 0
    ours = complete(dist)
    theirs = {"fkgraph.ttl", "ontology/index.html", ".well-known/security.txt", "dump/notes.txt"}
    assert {k: v for k, v in ours.items() if k not in theirs} == old  # no .gz left from the NEW run
    assert (dist / "ontology" / "index.html").read_text() == "docs\n" and theirs <= set(ours)
    assert strays(tmp_path) == []


def test_publish_keeps_special_files_of_others(tmp_path):
    dist = tmp_path / "dist"
    (dist / "run").mkdir(parents=True)
    os.mkfifo(dist / "run" / "pipe")
    (dist / "keep.txt").write_text("mine\n")
    assert run("publish", "-o", str(dist), "--no-validate", *OLD).code == 0
    assert stat.S_ISFIFO((dist / "run" / "pipe").lstat().st_mode) and (dist / "keep.txt").read_text() == "mine\n"
    assert complete(dist) and strays(tmp_path) == []


@pytest.mark.parametrize("command", ["publish", "site"])
def test_a_folder_holding_the_current_one_is_never_swapped(tmp_path, command):
    here = tmp_path / "here"
    here.mkdir()
    cases = [(".", here)] + ([("..", here / "inner")] if command == "publish" else [])
    for out, cwd in cases:
        cwd.mkdir(exist_ok=True)
        fails(run(command, "-o", out, "--no-validate", cwd=cwd), 2, "holds the current folder")
    assert sorted(p.name for p in here.iterdir()) == (["inner"] if command == "publish" else [])
    assert strays(tmp_path) == []


def test_publish_and_build_into_one_folder_never_run_at_once(tmp_path):
    dist = tmp_path / "dist"
    with fsio.output_lock(dist):
        r = run("publish", "-o", str(dist), "--no-validate", timeout=120)
    fails(r, 1, f"another fkgraph build is writing to {dist} (pid {os.getpid()})")
    assert not dist.exists()


@pytest.mark.slow
def test_a_site_killed_before_its_swap_leaves_the_old_site(tmp_path):
    site = tmp_path / "public"
    assert run("site", "-o", str(site), "--no-validate", *OLD, timeout=300).code == 0
    before = snapshot(site)
    proc = subprocess.Popen([sys.executable, "-m", "fkgraph", "site", "-o", str(site), "--no-validate", *NEW],
                            stderr=subprocess.PIPE, text=True, cwd=ROOT, env={**os.environ, fsio.PAUSE_VARIABLE: "staged"})
    assert proc.stderr.readline() == "fkgraph: paused at staged\n"
    proc.kill()
    proc.wait(timeout=30)
    proc.stderr.close()
    assert snapshot(site) == before and complete(site)
    assert run("site", "-o", str(site), "--no-validate", *NEW, timeout=300).code == 0
    assert complete(site) and snapshot(site) != before and strays(tmp_path) == []


# ---- 4. bounded parsing ------------------------------------------------------------------------

LAUGHS = ('<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n <!ENTITY lol "lol">\n'
          + "".join(f' <!ENTITY lol{i} "{("&lol" + str(i - 1 if i > 1 else "") + ";") * 10}">\n' for i in range(1, 10))
          + ']>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">\n'
          '<rdf:Description rdf:about="http://example.org/a"><ex:p>BODY</ex:p></rdf:Description>\n</rdf:RDF>\n')


def _rdfxml(doctype: str, body: str) -> str:
    return ('<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n' + doctype + ']>\n'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">\n'
            f'<rdf:Description rdf:about="http://example.org/a"><ex:p>{body}</ex:p></rdf:Description>\n</rdf:RDF>\n')


ENTITY_BOMBS = {
    "billion laughs": (LAUGHS.replace("BODY", "&lol9;").encode(), "could expand without bound"),
    "billion laughs, gzipped": (gzip.compress(LAUGHS.replace("BODY", "&lol9;").encode()), "could expand without bound"),
    "billion laughs, UTF-16": (LAUGHS.replace("BODY", "&lol9;").replace('"1.0"?', '"1.0" encoding="UTF-16"?')
                               .encode("utf-16"), "could expand without bound"),
    "a parameter entity": (_rdfxml(' <!ENTITY % p "<!ENTITY a \'aaaa\'>">\n %p;\n', "&a;").encode(),
                           "could expand without bound"),
    "an external entity": (_rdfxml(' <!ENTITY x SYSTEM "file:///dev/zero">\n', "&x;").encode(),
                           "could expand without bound"),
    "a reference hidden in a character reference": (_rdfxml(' <!ENTITY a "&#38;b;">\n <!ENTITY b "bbbb">\n', "&a;").encode(),
                                                    "could expand without bound"),
    "an entity longer than the bound": (_rdfxml(f' <!ENTITY a "{"x" * 301}">\n', "&a;").encode(),
                                        "could expand without bound"),
    "quadratic blow-up": (_rdfxml(f' <!ENTITY a "{"x" * 300}">\n', "&a;" * 200_000).encode(),
                          "its entity references expand to more than"),
}


@pytest.mark.parametrize("name", sorted(ENTITY_BOMBS))
def test_rdfxml_entity_expansion_is_refused_before_parsing(tmp_path, name):
    data, message = ENTITY_BOMBS[name]
    path = tmp_path / ("bomb.rdf.gz" if "gzipped" in name else "bomb.rdf")
    path.write_bytes(data)
    r = run("validate", str(path), timeout=60)
    fails(r, 2, f"{path}: ", message)
    assert r.seconds < 20 and r.peak_mb < 300, r


def test_rdfxml_with_plain_namespace_entities_is_still_read(tmp_path):
    path = tmp_path / "ok.rdf"
    path.write_text(_rdfxml(' <!ENTITY ex "http://example.org/">\n', "&ex;"), encoding="utf-8")
    r = run("validate", "--allow-empty", "--format", "lines", str(path), timeout=60)
    assert r.code == 0, r
    store = ox.Store()
    store.load(path=str(path), format=ox.RdfFormat.RDF_XML)
    assert [q.object.value for q in store] == ["http://example.org/"]


CITE_BOMBS = {
    "35 KB of one repeated range": "LAB § 1-400, " * 2700,
    "ranges over several statutes": "LAB § 1-400 og SL § 1-400 og FSL § 1-400 og " * 900,
    "one § group of many ranges": "LAB §§ " + "1-400, " * 5000 + "1",
    "litra ranges": "LAB § 1, litra a-z, " * 2000,
    "pkt. ranges": "LAB § 1, stk. 1, 1.-400. pkt., " * 1000,
}


@pytest.mark.parametrize("name", sorted(CITE_BOMBS))
@pytest.mark.parametrize("via", ["argument", "stdin"])
def test_cite_bounds_the_total_expansion_of_one_text(name, via):
    text = CITE_BOMBS[name]
    r = run("cite", text) if via == "argument" else run("cite", "-", stdin=text.encode())
    fails(r, 1, f"the ranges in this text expand to more than {MAX_PROVISIONS} provisions")
    assert len(r.stderr) < 400 and r.stdout == ""
    assert r.seconds < 10 and r.peak_mb < 300, r


def test_cite_expands_exactly_up_to_its_bound():
    at_bound = ", ".join(f"LAB § {i * 400 + 1}-{i * 400 + 400}" for i in range(MAX_PROVISIONS // 400))
    r = run("cite", at_bound, "--format", "csv")
    assert r.code == 0 and r.stdout.count("\n") == MAX_PROVISIONS + 1, r
    fails(run("cite", at_bound + ", LAB § 2001-2002"), 1, f"more than {MAX_PROVISIONS} provisions")
