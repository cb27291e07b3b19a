"""The embedded store (pyoxigraph): the built graph with what a caller needs to talk about it,
and loading N-Triples or other RDF files into a fresh store."""
from __future__ import annotations

from pathlib import Path
from typing import IO, TYPE_CHECKING, Callable, Iterable

import pyoxigraph as ox

from fkgraph.errors import UsageError
from fkgraph.rdf.terms import term

if TYPE_CHECKING:
    from fkgraph.model.records import Records

# A long step reports how far it has come as progress(stage, done, total); the command line draws
# that as a bar on a terminal, and a caller that passes nothing pays nothing.
Progress = Callable[[str, int, int], None]

#: IRI → (data file relative to the folder holding data/, line) of the record it was built from
Origins = dict[str, tuple[str, int]]


class Built:
    """The built graph and what a caller needs to talk about it.

    `records` and `origins` may be given as functions, or `origins` left out: a graph loaded from
    the build cache reads its records, and maps them again for the origins, only if a caller asks
    (most queries never do)."""

    def __init__(self, store: ox.Store, records: "Records | Callable[[], Records]", base: str,
                 origins: "Origins | Callable[[], Origins] | None" = None):
        self.store, self._records, self.base, self._origins = store, records, base, origins

    @property
    def records(self) -> Records:
        if callable(self._records):
            self._records = self._records()
        return self._records

    @property
    def origins(self) -> Origins:
        """Where each minted IRI came from (see `Origins`)."""
        if self._origins is None:
            from fkgraph.rdf.mapping import origins

            self._origins = lambda: origins(self.records, self.base)
        if callable(self._origins):
            self._origins = self._origins()
        return self._origins

    def origin(self, iri: str) -> str:
        """'data/networks/x.yaml:12' for an IRI of the graph, '' for one no record mints."""
        found = self.origins.get(iri)
        return f"{found[0]}:{found[1]}" if found else ""

    def __len__(self) -> int:
        return len(self.store)


def load(source: str | Path | IO[bytes], progress: Progress | None = None) -> ox.Store:
    """A fresh store holding an N-Triples file that fkgraph wrote (the build's triples, a build
    cache entry, a dump), loaded without re-checking its terms; `progress` hears the bytes read."""
    store = ox.Store()
    if isinstance(source, (str, Path)):
        with open(source, "rb") as f:
            return load(f, progress)
    if progress:
        size = source.seek(0, 2)
        source.seek(0)
        source = _Counted(source, size, progress)
    # load, not bulk_load: as fast on the in-memory store, and bulk_load's batches hold more memory
    store.load(source, format=ox.RdfFormat.N_TRIPLES, lenient=True)
    if progress:
        source.finish()
    return store


class _Counted:
    """A binary file that reports ("loading", bytes read, size) about every `step` bytes."""

    def __init__(self, f: IO[bytes], size: int, progress: Progress, step: int = 1 << 22):
        self.f, self.size, self.progress, self.step = f, size, progress, step
        self.done = self.told = 0
        progress("loading", 0, size)

    def read(self, n: int = -1) -> bytes:
        data = self.f.read(n)
        self.done += len(data)
        if self.done - self.told >= self.step and self.done < self.size:
            self.told = self.done
            self.progress("loading", self.done, self.size)
        return data

    def finish(self) -> None:
        self.progress("loading", self.size, self.size)


def from_files(paths: Iterable[str | Path]) -> ox.Store:
    """Load RDF files (format from the extension, `.gz` read through gzip) into a fresh store,
    for `validate FILE…`."""
    import gzip

    store = ox.Store()
    for path in paths:
        inner = Path(str(path).removesuffix(".gz"))
        fmt = ox.RdfFormat.from_extension(inner.suffix.lstrip(".") or "ttl")
        if fmt is None:
            raise UsageError(f"{path}: unknown RDF file extension; use .ttl, .nt, .nq, .trig, .jsonld or .rdf "
                             f"(each optionally .gz)")
        with (gzip.open if str(path).endswith(".gz") else open)(path, "rb") as f:
            try:
                store.load(f, format=fmt, to_graph=ox.DefaultGraph())  # less memory than bulk_load
            except (OSError, EOFError) as e:  # a damaged gzip stream
                raise UsageError(f"{path}: cannot read ({e})") from None
    return store


def label(store: ox.Store, node: ox.NamedNode, lang: str = "da") -> str | None:
    """A node's label in `lang` (or any), for messages; the first in N-Triples order, whatever
    order the store keeps."""
    labels = sorted((q.object for q in store.quads_for_pattern(node, term("rdfs:label"), None, None)
                     if isinstance(q.object, ox.Literal)), key=str)
    return next((l.value for l in labels if l.language == lang), labels[0].value if labels else None)
