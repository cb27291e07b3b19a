"""Atomic writes and concurrent builds.

A build or export killed midway (SIGKILL, which nothing can clean up after) while writing a
large synthetic graph leaves the previous output intact and nothing partial in its place; the
next write removes the dead writer's temporary file. Two builds into one folder at once: both
finish or one refuses with a clear message, and the folder holds one complete build.
"""
from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from fkgraph import api
from fkgraph import fsio as locks

ROOT = Path(__file__).resolve().parents[1]
TRIALS = 1000  # about 45,000 triples, an 8 MB Turtle file: seven times the real data

#: A process that builds a synthetic graph and writes it the way `fkgraph build` / `export` do.
#: argv: mode (build|export), output, seed. It prints "writing" once its temporary file holds
#: the first part of the data, then writes the rest.
SCRIPT = r'''
import hashlib, importlib, sys, types
from pathlib import Path
from fkgraph import api
from fkgraph.rdf import mapping
from fkgraph.scale import synth
from fkgraph import fsio
ex = importlib.import_module("fkgraph.rdf.serialize")
mode, out, seed = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
records, _ = synth.generate(trials=TRIALS, seed=seed)
built = mapping.build(records)
if mode == "build":
    # The real build_to (lock, serialise, atomic write) on the synthetic graph; validation is
    # tested elsewhere and would take minutes at this size.
    api.build = lambda home=None, base=None, cache=True, progress=None: built
    api.validate = lambda target=None, home=None, progress=None: types.SimpleNamespace(conforms=True)
    # export() lets pyoxigraph write into the atomic temporary file: slow its writes down and
    # announce the first one, so the test can kill the build mid-file
    digest = hashlib.sha256(ex.turtle(built.store)).hexdigest()  # what the file must hold
    real_atomic = fsio.atomic_write
    class Slow:
        def __init__(self, f):
            self.f, self.n = f, 0
        def write(self, b):
            self.n += 1
            if self.n == 2:
                print("writing", flush=True)
            if self.n > 1:
                import time; time.sleep(0.002)
            out = self.f.write(b); self.f.flush()
            return out
        def __getattr__(self, name):
            return getattr(self.f, name)
    import contextlib
    @contextlib.contextmanager
    def slow_atomic(path, mode="wb"):
        with real_atomic(path, mode) as f:
            yield Slow(f)
    ex.atomic_write = slow_atomic  # the name export() writes through
    api.build_to(out)
    print("done", digest, flush=True)
else:
    data = ex.serialize(built.store, "ntriples")
    with fsio.atomic_write(out) as f:
        step = len(data) // 50
        for i in range(0, len(data), step):
            f.write(data[i:i + step]); f.flush()
            if i == step:
                print("writing", flush=True)
    print("done", hashlib.sha256(data).hexdigest(), flush=True)
'''.replace("TRIALS", str(TRIALS))


@pytest.fixture(scope="module")
def script(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("atomic") / "writer.py"
    path.write_text(SCRIPT)
    return path


def _start(script: Path, *args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(script), *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT)


def _kill_when_writing(proc: subprocess.Popen) -> None:
    line = proc.stdout.readline()
    assert line == "writing\n", (line, proc.stderr.read() if proc.poll() is not None else "")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close(), proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _strays(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".part"))


@pytest.mark.slow
@pytest.mark.parametrize("mode,name", [("export", "fkgraph.nt"), ("build", "fkgraph.ttl")])
def test_killed_writer_leaves_previous_output_intact(tmp_path, script, mode, name):
    out = tmp_path / "dist"
    out.mkdir()
    target = out / name
    target.write_text("previous complete output\n")
    before = _digest(target)

    proc = _start(script, mode, target if mode == "export" else out, 1)
    _kill_when_writing(proc)

    # The previous output is untouched; the half-written data exists only as a hidden
    # temporary sibling, never under the output's name.
    assert _digest(target) == before
    strays = _strays(out)
    assert len(strays) == 1 and strays[0].startswith(f".{name}.{proc.pid}."), strays
    assert (out / strays[0]).stat().st_size > 0
    # A killed build holds no lock: the next one may run, and it sweeps the dead writer's file.
    assert not (out / locks.LOCK_NAME).exists() or mode == "build"

    proc = _start(script, mode, target if mode == "export" else out, 1)
    stdout, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 0, stderr
    assert _strays(out) == [] and not (out / locks.LOCK_NAME).exists()
    assert sorted(p.name for p in out.iterdir()) == [name]
    assert _digest(target) == re.search(r"^done ([0-9a-f]{64})$", stdout, re.M).group(1)
    store = ox.Store()
    store.bulk_load(path=str(target), format=ox.RdfFormat.N_TRIPLES if mode == "export" else ox.RdfFormat.TURTLE)
    assert len(store) > 40_000


@pytest.mark.slow
def test_two_builds_at_once_finish_or_refuse_never_mix(tmp_path, script):
    """Two processes build different graphs into one folder at the same moment."""
    out = tmp_path / "dist"
    procs = [_start(script, "build", out, seed) for seed in (1, 2)]
    results = [p.communicate(timeout=600) + (p.returncode,) for p in procs]
    codes = sorted(r[2] for r in results)
    refused = [r for r in results if r[2] != 0]
    assert codes in ([0, 0], [0, 1]), results
    for stdout, stderr, code in refused:
        assert stderr.count("\n") <= 1 and "Traceback" not in stderr or "OutputBusy" in stderr, stderr
        assert re.search(rf"another fkgraph build is writing to {re.escape(str(out))} \(pid [0-9?]+\)", stderr), stderr
    # The folder holds one complete build: exactly the bytes one of the finished builds wrote
    # (the two graphs differ, so a mix of the two would match neither).
    written = [re.search(r"^done ([0-9a-f]{64})$", r[0], re.M).group(1) for r in results if r[2] == 0]
    assert _digest(out / "fkgraph.ttl") in written
    assert sorted(p.name for p in out.iterdir()) == ["fkgraph.ttl"]
    if len(written) == 2:
        assert written[0] != written[1]


@pytest.mark.slow
def test_second_fkgraph_build_refuses_while_first_writes(tmp_path):
    """The real command: while one `fkgraph build` holds the folder, a second one refuses at
    once, naming the folder and the first one's pid; the first then finishes a whole build."""
    out = tmp_path / "dist"
    first = subprocess.Popen([sys.executable, "-m", "fkgraph", "build", "--output", str(out)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    lock = out / locks.LOCK_NAME
    deadline = time.monotonic() + 120
    while not (lock.exists() and lock.read_text().strip()) and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert first.poll() is None, first.communicate()
    second = subprocess.run([sys.executable, "-m", "fkgraph", "build", "--output", str(out)],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert second.returncode == 1
    assert second.stderr == (f"fkgraph: another fkgraph build is writing to {out} (pid {first.pid}); "
                             "wait for it to finish, or build into another --output folder\n")
    stdout, stderr = first.communicate(timeout=900)
    assert first.returncode == 0, stderr
    triples = int(re.search(r"([0-9]+) triples", stderr).group(1))
    store = ox.Store()
    store.bulk_load(path=str(out / "fkgraph.ttl"), format=ox.RdfFormat.TURTLE)
    assert len(store) == triples
    assert sorted(p.name for p in out.iterdir()) == ["fkgraph.ttl"]


def test_lock_is_exclusive_and_released_in_process(tmp_path):
    out = tmp_path / "dist"
    with locks.output_lock(out) as path:
        assert path.read_text() == f"{os.getpid()}\n"
        code = ("import sys; from fkgraph import fsio as locks\n"
                "try:\n    with locks.output_lock(sys.argv[1]): print('got it')\n"
                "except locks.OutputBusy as e: print(e)")
        held = subprocess.run([sys.executable, "-c", code, str(out)], capture_output=True, text=True, timeout=60)
        assert held.stdout.startswith(f"another fkgraph build is writing to {out} (pid {os.getpid()})"), held
    assert not out.exists()  # created for the build, left empty: removed again
    free = subprocess.run([sys.executable, "-c", code, str(out)], capture_output=True, text=True, timeout=60)
    assert free.stdout == "got it\n"


def test_failed_build_writes_nothing(tmp_path, home):
    """Invalid data: no folder, no lock file, no temporary file."""
    path = home / "data" / "statutes.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("type: lov", "type: law", 1), encoding="utf-8")
    out = tmp_path / "new-dist"
    with pytest.raises(Exception) as err:
        api.build_to(out, home)
    assert "type 'law' is not one of" in str(err.value)
    assert not out.exists()


def test_a_staged_folder_replaces_the_old_one_whole_or_not_at_all(tmp_path):
    target = tmp_path / "site"
    target.mkdir()
    (target / "old.html").write_text("old")
    with pytest.raises(RuntimeError):
        with locks.staged_folder(target) as staged:
            (staged / "new.html").write_text("half")
            raise RuntimeError("failed midway")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"] and (target / "old.html").read_text() == "old"
    with locks.staged_folder(target) as staged:
        (staged / "new.html").write_text("new")
        assert not (target / "new.html").exists()  # nothing shows before the swap
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
    assert sorted(p.name for p in target.iterdir()) == ["new.html"]


def test_a_staged_folder_can_replace_only_its_own_files(tmp_path):
    target = tmp_path / "docs"
    target.mkdir()
    (target / "index.html").write_text("old")
    (target / "mine.txt").write_text("keep me")
    with locks.staged_folder(target, whole=False) as staged:
        (staged / "index.html").write_text("new")
    assert (target / "index.html").read_text() == "new" and (target / "mine.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["docs"]
