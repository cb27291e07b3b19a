"""The build cache: built graphs as N-Triples, keyed by their inputs, verified on every load, bounded.

An entry is one file, `build-KEY.nt`, written atomically. Its first line is an N-Triples comment
holding its key, the SHA-256 of the rest, its length and its triple count; a load that finds any of them
wrong (a truncated, emptied or edited entry) discards the entry and the caller rebuilds, so a
damaged cache costs time, never a wrong answer. The key is a hash of every data file (each
checked to be a regular file of bounded size before it is read), the code that maps records to
triples and the base IRI, so it has a fixed length whatever they hold. After each write the
oldest entries are evicted beyond MAX_ENTRIES entries or MAX_TOTAL bytes.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
from pathlib import Path

import pyoxigraph as ox

from fkgraph import fsio
from fkgraph.rdf.store import Progress, _Counted

VERSION = "2"
MAX_ENTRIES = 16
MAX_TOTAL = 1 << 30          # bytes of all entries together; a larger single entry is not kept
_HEADER = re.compile(rb"# fkgraph build cache v" + VERSION.encode() + rb" key=([0-9a-f]{40}) sha256=([0-9a-f]{64}) "
                     rb"bytes=([0-9]{1,15}) triples=([0-9]{1,15})\n")


def key(data_dir: Path, base: str, code: Path) -> str | None:
    """The entry's key: a hash of the base IRI, the mapping code (`code`'s model/ and rdf/) and every
    `*.yaml` under `data_dir`; None when a file cannot be read (the reader then says why).

    A data file that is not a regular file (a FIFO, a link to /dev/zero) raises fsio.InputError
    before any byte of it is read; one over fsio.RECORD_MAX_BYTES is not read either."""
    h = hashlib.sha256(f"v{VERSION}\0{base}\0".encode())
    sources = [(p, code.parent) for p in sorted((code / "model").glob("*.py")) + sorted((code / "rdf").glob("*.py"))]
    sources += [(p, data_dir.parent) for p in sorted(data_dir.rglob("*.yaml"))]
    for f, root in sources:
        rel = f.relative_to(root).as_posix().encode()
        try:
            data = fsio.read_regular(f, fsio.RECORD_MAX_BYTES)
        except fsio.InputError:
            if root == code.parent or f.is_file():
                return None  # too large: the reader says so, from its stat alone
            raise  # a FIFO or a device: reading it would hang or never end
        except OSError:
            return None
        h.update(len(rel).to_bytes(8, "big") + rel + len(data).to_bytes(8, "big") + data)
    return h.hexdigest()[:40]


def entry(root: Path, key: str) -> Path:
    return root / f"build-{key}.nt"


def load(path: Path, progress: Progress | None = None) -> ox.Store | None:
    """The store an entry holds, or None when there is none or it does not match its header
    (then the entry is removed)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError:  # a link in the entry's place
        discard(path)
        return None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):  # a FIFO, a device, a folder
        os.close(fd)
        discard(path)
        return None
    with os.fdopen(fd, "rb") as f:
        try:
            m = _HEADER.fullmatch(f.readline(250)) if st.st_size <= MAX_TOTAL else None
            key, digest, size, triples = (m.group(1).decode(), m.group(2).decode(), int(m.group(3)),
                                          int(m.group(4))) if m else ("", "", -1, -1)
            if path.name != f"build-{key}.nt" or st.st_size != f.tell() + size:
                raise ValueError("header")  # damaged, or another key's entry copied here
            os.set_blocking(fd, True)
            reader = _Hashing(f)
            source = _Counted(reader, st.st_size, progress) if progress else reader
            store = ox.Store()
            store.load(source, format=ox.RdfFormat.N_TRIPLES, lenient=True)
            if progress:
                source.finish()
            if reader.h.hexdigest() != digest or reader.n != size or len(store) != triples:
                raise ValueError("content")
        except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
            discard(path)
            return None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: evicted last
    return store


def save(path: Path, store: ox.Store) -> None:
    """Write an entry atomically (a read-only or full cache folder only costs speed), then evict."""
    body = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    if len(body) > MAX_TOTAL:
        return
    key = path.name.removeprefix("build-").removesuffix(".nt")
    head = f"# fkgraph build cache v{VERSION} key={key} sha256={hashlib.sha256(body).hexdigest()} " \
           f"bytes={len(body)} triples={len(store)}\n"
    try:
        with fsio.atomic_write(path) as f:
            f.write(head.encode("ascii"))
            f.write(body)
    except (OSError, fsio.UsageError):
        return  # e.g. a folder in the entry's place
    evict(path.parent)


def evict(root: Path, max_entries: int = MAX_ENTRIES, max_total: int = MAX_TOTAL) -> list[Path]:
    """Remove the least recently used entries beyond `max_entries` or `max_total` bytes; returns them."""
    entries = []
    for p in root.glob("build-*.nt"):
        with contextlib.suppress(OSError):
            st = p.stat(follow_symlinks=False)
            entries.append((st.st_mtime, p.name, p, st.st_size))
    for tmp in root.glob(".build-*.nt.*.part"):  # temporary files of dead writers
        fsio.sweep_stale(root, tmp.name[1:].split(".nt.", 1)[0] + ".nt")
    gone, total = [], 0
    for i, (_, _, p, size) in enumerate(sorted(entries, reverse=True)):
        total += size
        if i >= max_entries or total > max_total:
            discard(p)
            gone.append(p)
    return gone


def discard(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


class _Hashing:
    """A binary file whose bytes read are hashed and counted on the way to the parser."""

    def __init__(self, f) -> None:
        self.f, self.h, self.n = f, hashlib.sha256(), 0

    def read(self, n: int = -1) -> bytes:
        data = self.f.read(n)
        self.h.update(data)
        self.n += len(data)
        return data
