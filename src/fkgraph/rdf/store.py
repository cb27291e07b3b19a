"""The embedded store (pyoxigraph): the built graph with what a caller needs to talk about it,
and loading N-Triples or other RDF files into a fresh store."""
from __future__ import annotations

import re
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

#: IRI → (data file relative to the folder holding data/, line, {field: line}) of the record it
#: was built from
Origins = dict[str, tuple[str, int, dict]]


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

    def place(self, iri: str, path: str = "") -> tuple[str, int, str]:
        """(file, line, field) of the record an IRI was built from; with `path` (a property IRI),
        the field that property's value comes from and that field's line, where the record has it."""
        found = self.origins.get(iri)
        if not found:
            return ("", 0, "")
        from fkgraph.rdf.mapping import FIELDS
        from fkgraph.rdf.terms import compact

        file, line, key_lines = (tuple(found) + ({},))[:3]
        for field in FIELDS.get(compact(path) or path, []) if path else []:
            if field in key_lines:
                return (file, key_lines[field], field)
        fields = FIELDS.get(compact(path) or path, []) if path else []
        return (file, line, fields[0] if fields else "")

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


def rdf_format(path: str | Path) -> ox.RdfFormat:
    """The RDF format a file name says (`.ttl`, `.nt`, … each optionally `.gz`)."""
    name = Path(path).name.removesuffix(".gz")
    ext = name.rsplit(".", 1)[-1] if "." in name else ""
    fmt = ox.RdfFormat.from_extension({"json": "jsonld"}.get(ext, ext)) if ext else None
    if fmt is None:
        raise UsageError(f"{path}: unknown RDF file extension {ext!r}; use .ttl, .nt, .nq, .trig, .jsonld "
                         f"or .rdf, each optionally gzipped (.ttl.gz)")
    return fmt


def from_files(paths: Iterable[str | Path], origins: Origins | None = None) -> ox.Store:
    """Load RDF files into a fresh store, for `validate FILE…`; gzipped files are read as such.
    `origins`, if given, receives each subject IRI → (the first file that describes it, 0, {})."""
    import gzip

    store = ox.Store()
    for path in paths:
        fmt = rdf_format(path)
        before = set() if origins is None else {q.subject for q in store}
        try:
            with (gzip.open if str(path).endswith(".gz") else open)(path, "rb") as f:
                if fmt == ox.RdfFormat.RDF_XML:
                    check_xml_entities(f, path)
                    f.seek(0)
                store.load(f, format=fmt, to_graph=ox.DefaultGraph())  # less memory than bulk_load
        except UsageError:
            raise
        except (SyntaxError, ValueError, OSError, EOFError) as e:
            raise UsageError(f"{path}: cannot read it as {fmt.name}: {' '.join(str(e).split())[:300]}") from None
        if origins is not None:
            for q in store:
                if isinstance(q.subject, ox.NamedNode) and q.subject not in before:
                    origins.setdefault(q.subject.value, (str(path), 0, {}))
    return store


#: What an RDF/XML DOCTYPE may declare: a few plain entities (`<!ENTITY ex "http://…">`, as ontology
#: editors write for namespaces). An entity that refers to another, a parameter or external
#: entity, or more or longer ones could expand without bound ("billion laughs") and is refused.
MAX_ENTITIES, MAX_ENTITY_CHARS, MAX_PROLOG, MAX_EXPANSION = 100, 300, 1 << 20, 1 << 24
_ENTITY = re.compile(r"""<!ENTITY\s+([^\s%]+)\s+(?:"([^"&%<]*)"|'([^'&%<]*)')\s*>""")


def check_xml_entities(f: IO[bytes], path) -> None:
    """UsageError unless the prolog of an RDF/XML file (before its first element) declares only a
    few plain entities; reads at most MAX_PROLOG bytes."""
    head = f.read(MAX_PROLOG)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head.decode("utf-16", "replace")
    else:
        text = head.decode("utf-8", "replace")
    m = re.search(r"<[^?!]", text)
    prolog = text[:m.start()] if m else text
    if "<!DOCTYPE" not in prolog and "<!ENTITY" not in prolog:
        return
    if m is None and len(head) == MAX_PROLOG:
        raise UsageError(f"{path}: its XML prolog is longer than {MAX_PROLOG} bytes; "
                         "RDF/XML with a DOCTYPE this large is not read")
    declared = prolog.count("<!ENTITY")
    plain = [e for e in _ENTITY.finditer(prolog) if len(e.group(2) or e.group(3) or "") <= MAX_ENTITY_CHARS]
    if declared != len(plain) or declared > MAX_ENTITIES:
        raise UsageError(f"{path}: its DOCTYPE declares entities that could expand without bound (entities "
                         f"that refer to others, parameter or external entities, or more than {MAX_ENTITIES}); "
                         f"only plain entities of at most {MAX_ENTITY_CHARS} characters are read: remove the DOCTYPE")
    if plain:
        _check_expansion(f, {e.group(1): len(e.group(2) or e.group(3) or "") for e in plain}, path)


def _check_expansion(f: IO[bytes], sizes: dict[str, int], path) -> None:
    """UsageError when the references to the declared entities would add more than MAX_EXPANSION
    characters in all; one pass over the file, before the parser sees it."""
    ref = re.compile(rb"&([A-Za-z_:][\w.:-]{0,200});")
    sizes = {k.encode(): v for k, v in sizes.items()}
    f.seek(0)
    total, tail = 0, b""
    while chunk := f.read(1 << 20):
        data = tail + chunk
        cut = max(0, len(data) - 256)  # a reference starting before `cut` ends inside `data`
        total += sum(sizes.get(m.group(1), 0) for m in ref.finditer(data) if m.start() < cut)
        tail = data[cut:]
        if total > MAX_EXPANSION:
            break
    total += sum(sizes.get(m.group(1), 0) for m in ref.finditer(tail))
    if total > MAX_EXPANSION:
        raise UsageError(f"{path}: its entity references expand to more than {MAX_EXPANSION} characters; "
                         "write the values out, or remove the DOCTYPE")


def label(store: ox.Store, node: ox.NamedNode, lang: str = "da") -> str | None:
    """A node's label in `lang` (or any), for messages; the first in N-Triples order, whatever
    order the store keeps."""
    labels = sorted((q.object for q in store.quads_for_pattern(node, term("rdfs:label"), None, None)
                     if isinstance(q.object, ox.Literal)), key=str)
    return next((l.value for l in labels if l.language == lang), labels[0].value if labels else None)
