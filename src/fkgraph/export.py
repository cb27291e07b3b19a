"""Write the graph as files other tools read: Turtle, N-Triples (and more in later steps).

Every write goes to a temporary file in the target folder and is renamed into place, so a
reader never sees half a file and a failed run leaves the previous output as it was. Output is
deterministic: the same data gives the same bytes.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator

import pyoxigraph as ox

from .graph import PREFIXES

FORMATS = {"turtle": ("ttl", ox.RdfFormat.TURTLE), "ntriples": ("nt", ox.RdfFormat.N_TRIPLES)}


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "wb") -> Iterator:
    """Open a temporary sibling of `path`; on success fsync and rename it over `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def ntriples(store: ox.Store) -> bytes:
    """Sorted N-Triples: one triple a line, so a diff shows exactly what changed."""
    data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    lines = sorted(set(data.splitlines()))
    return b"\n".join(lines) + b"\n" if lines else b""


def turtle(store: ox.Store) -> bytes:
    """Turtle with the project's prefixes, subjects sorted and grouped."""
    triples = sorted((q.triple for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph())),
                     key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)


def serialize(store: ox.Store, fmt: str = "turtle") -> bytes:
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use one of: {', '.join(FORMATS)}")
    return turtle(store) if fmt == "turtle" else ntriples(store)


def export(store: ox.Store, path: str | Path, fmt: str | None = None) -> Path:
    """Write the store to `path` atomically; the format follows the extension unless given."""
    path = Path(path)
    if fmt is None:
        by_ext = {ext: name for name, (ext, _) in FORMATS.items()}
        fmt = by_ext.get(path.suffix.lstrip("."), "turtle")
    data = serialize(store, fmt)
    with atomic_write(path) as f:
        f.write(data)
    return path
