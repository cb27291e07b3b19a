"""Write the graph as files other tools read: Turtle, N-Triples, JSON-LD, DCAT-AP 3 and VoID.

Every write goes to a temporary file in the target folder and is renamed into place, so a
reader never sees half a file and a failed run leaves the previous output as it was. Output is
deterministic: the same data gives the same bytes (sorted subjects, predicates and objects;
gzip with mtime 0 and no file name; dates taken from `data/release.yaml`, not from the clock).

Turtle and N-Triples of a store are written by pyoxigraph, in Rust, straight into the file: the
store that fkgraph.rdf.graph builds or loads holds its triples in sorted order (`ordered_store`), so
nothing is sorted in Python at export time (a 100k-trial graph, 3.4M triples, writes in seconds).

Layout written by `publish(directory)` (the static site in site.py uses the same layout):

    dump/fkgraph.ttl, dump/fkgraph.nt, dump/fkgraph.jsonld   the whole graph (and .gz copies)
    dump/context.jsonld                                      the JSON-LD context, as a file
    dcat.ttl                                                 DCAT-AP 3 catalogue
    void.ttl, .well-known/void                               VoID description
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import gzip as _gzip
import hashlib
import io
import json
import os
import re
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable, Iterator

import pyoxigraph as ox
import yaml

from fkgraph.model import iris
from fkgraph import config
from fkgraph.rdf.graph import PREFIXES

#: format name → (file extension, media type, EU file-type authority code)
FORMATS = {
    "turtle": ("ttl", "text/turtle", "RDF_TURTLE"),
    "ntriples": ("nt", "application/n-triples", "RDF_N_TRIPLES"),
    "jsonld": ("jsonld", "application/ld+json", "JSON_LD"),
}
DUMP_NAME = "fkgraph"
CONTEXT_NAME = "context.jsonld"

#: Prefixes of the catalogue vocabularies, added to the project's own for dcat.ttl and void.ttl.
PUBLISH_PREFIXES = {
    **PREFIXES,
    "dcat": "http://www.w3.org/ns/dcat#",
    "dcatap": "http://data.europa.eu/r5r/",
    "void": "http://rdfs.org/ns/void#",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "spdx": "http://spdx.org/rdf/terms#",
    "adms": "http://www.w3.org/ns/adms#",
    "sd": "http://www.w3.org/ns/sparql-service-description#",
}


class ExportError(ValueError):
    """A usage error in an export: unknown format, unusable URL."""


class ReleaseError(ExportError):
    """`data/release.yaml` is missing or wrong: invalid data (exit 1), not a usage error."""


# ---- the release -------------------------------------------------------------------------------

RELEASE_FILE = "release.yaml"
_RELEASE_KEYS = "version, issued, modified, coverage: {start, end}, status_as_of and statement: {da, en}"
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


@dataclass(frozen=True)
class Release:
    """The release of the dataset, as `data/release.yaml` states it: the one place that says
    which version this is, when it was released and what period the data covers."""

    version: str
    issued: str                  # YYYY-MM-DD: the first public release
    modified: str                # YYYY-MM-DD: this release
    start: str                   # YYYY-MM-DD: the period the data covers (dcterms:temporal)
    end: str
    status_as_of: str            # YYYY-MM-DD: the date the trials' statuses describe
    statement: dict[str, str]    # {"da": …, "en": …}: what the data covers, in plain words
    path: Path | None = None


def load_release(path: str | Path | None = None) -> Release:
    """Read the release metadata: `path` is `release.yaml` or the data folder that holds it
    (default: `data/` of the project home, see fkgraph.config).

    Raises ReleaseError naming the file (and the line, where there is one) and the key when a key
    is missing or a date is not YYYY-MM-DD."""
    path = Path(path) if path is not None else config.data_dir()
    if path.is_dir():
        path = path / RELEASE_FILE
    try:
        text = path.read_text(encoding="utf-8")
        # Dates stay text, so that "2026-13-04" or "2026-1-4" is refused here by key, not by the YAML library.
        data = yaml.load(text, Loader=_PlainDates)
        root = yaml.compose(text, Loader=_PlainDates)
    except OSError as e:
        raise ReleaseError(f"{path}: cannot read the release metadata ({e.strerror or e}); "
                          f"the data folder needs a {RELEASE_FILE} giving {_RELEASE_KEYS}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise ReleaseError(f"{where}: broken YAML ({getattr(e, 'problem', None) or e}); "
                          f"{RELEASE_FILE} must be a mapping giving {_RELEASE_KEYS}") from None

    def fail(keys: tuple[str, ...], message: str):
        line = _key_line(root, keys)
        raise ReleaseError(f"{path}{f':{line}' if line else ''}: {'.'.join(keys)}: {message}")

    def get(*keys: str):
        node = data
        for i, key in enumerate(keys):
            if not isinstance(node, dict):
                fail(keys[:i], f"must be a mapping with the key {key!r}")
            if node.get(key) in (None, ""):
                fail(keys[:i + 1], f"missing; {RELEASE_FILE} must give {_RELEASE_KEYS}")
            node = node[key]
        return node

    def date(*keys: str) -> str:
        value = get(*keys)
        if isinstance(value, str) and _DATE.match(value):
            with contextlib.suppress(ValueError):
                return _dt.date.fromisoformat(value).isoformat()
        fail(keys, f"{value!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-12-04")

    if not isinstance(data, dict):
        raise ReleaseError(f"{path}: must be a YAML mapping giving {_RELEASE_KEYS}")
    version = get("version")
    if not isinstance(version, str) or not re.match(r"^[0-9A-Za-z][0-9A-Za-z.+-]*$", version):
        fail(("version",), f"{version!r} is not a version; write it as a quoted string, e.g. \"0.2.0\"")
    statement = {}
    for lang in ("da", "en"):
        said = get("statement", lang)
        if not isinstance(said, str):
            fail(("statement", lang), "must be text: what the data covers, in plain words")
        statement[lang] = " ".join(said.split())
    release = Release(version, date("issued"), date("modified"), date("coverage", "start"), date("coverage", "end"),
                      date("status_as_of"), statement, path)
    if release.modified < release.issued:
        fail(("modified",), f"{release.modified} is before issued {release.issued}; a release cannot predate the first one")
    if release.end < release.start:
        fail(("coverage", "end"), f"{release.end} is before coverage.start {release.start}")
    return release


class _PlainDates(yaml.SafeLoader):
    """yaml.safe_load, with dates left as text (checked by `load_release`)."""


_PlainDates.yaml_implicit_resolvers = {
    k: [(tag, regexp) for tag, regexp in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def _key_line(node, keys: tuple[str, ...]) -> int | None:
    """The 1-based line of the deepest of `keys` (a path of mapping keys) found in the YAML node."""
    line = None
    for key in keys:
        if not hasattr(node, "value") or not isinstance(node.value, list):
            break
        match = next((pair for pair in node.value if isinstance(pair, tuple) and getattr(pair[0], "value", None) == key), None)
        if match is None:
            break
        line, node = match[0].start_mark.line + 1, match[1]
    return line


def _source_date_epoch() -> str | None:
    """$SOURCE_DATE_EPOCH as a date (reproducible builds), or None when it is not set."""
    if os.environ.get("SOURCE_DATE_EPOCH", "").isdigit():
        return _dt.datetime.fromtimestamp(int(os.environ["SOURCE_DATE_EPOCH"]), _dt.timezone.utc).date().isoformat()
    return None


# ---- atomic, deterministic writing -------------------------------------------------------------

@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "wb") -> Iterator:
    """Open a temporary sibling of `path`; on success fsync and rename it over `path`.

    The sibling is `.NAME.PID.XXXX.part`; one left behind by a writer that was killed (SIGKILL
    cannot be cleaned up after) is removed by the next write of the same file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _sweep_stale(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _sweep_stale(path: Path) -> None:
    """Remove temporary siblings of `path` whose writing process no longer exists."""
    import glob

    for tmp in path.parent.glob(f".{glob.escape(path.name)}.*.part"):
        pid = tmp.name[len(path.name) + 2:].split(".", 1)[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            with contextlib.suppress(OSError):
                tmp.unlink()
        except OSError:
            pass  # alive, under another user


def write_bytes(path: str | Path, data: bytes) -> Path:
    with atomic_write(path) as f:
        f.write(data)
    return Path(path)


def gzip_bytes(data: bytes) -> bytes:
    """gzip that gives the same bytes every run: no file name, mtime 0, fixed level."""
    buf = io.BytesIO()
    with _gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(data)
    return buf.getvalue()


# ---- terms -------------------------------------------------------------------------------------

_LOCAL = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_-]*)$")
RDF_TYPE = PREFIXES["rdf"] + "type"
XSD_STRING = PREFIXES["xsd"] + "string"


def _triples(source) -> list[ox.Triple]:
    if isinstance(source, ox.Store):
        return [q.triple for q in source.quads_for_pattern(None, None, None, ox.DefaultGraph())]
    return [t.triple if isinstance(t, ox.Quad) else t for t in source]


def _compact(iri: str, prefixes: dict[str, str]) -> str | None:
    best = None
    for prefix, ns in prefixes.items():
        if iri.startswith(ns) and _LOCAL.match(iri[len(ns):]) and (best is None or len(ns) > len(best[1])):
            best = (prefix, ns)
    return f"{best[0]}:{iri[len(best[1]):]}" if best else None


def _bnode_labels(triples: list[ox.Triple]) -> dict[str, str]:
    """Stable labels for blank nodes: a digest of what each one says (its outgoing triples)."""
    said: dict[str, list[str]] = {}
    for t in triples:
        for node in (t.subject, t.object):
            if isinstance(node, ox.BlankNode):
                said.setdefault(node.value, [])
        if isinstance(t.subject, ox.BlankNode):
            obj = "[]" if isinstance(t.object, ox.BlankNode) else str(t.object)
            said[t.subject.value].append(f"{t.predicate} {obj}")
    digests = sorted((hashlib.sha1("\n".join(sorted(v)).encode()).hexdigest()[:12], k) for k, v in said.items())
    labels, seen = {}, {}
    for digest, key in digests:
        n = seen.get(digest, 0)
        seen[digest] = n + 1
        labels[key] = f"b{digest}" + (f"-{n}" if n else "")
    return labels


def _sorted_subjects(triples: list[ox.Triple], labels: dict[str, str]):
    """{subject key: (subject, {predicate iri: [objects]})} in output order."""
    grouped: dict[tuple, tuple] = {}
    for t in triples:
        s = t.subject
        key = (1, labels[s.value]) if isinstance(s, ox.BlankNode) else (0, s.value)
        grouped.setdefault(key, (s, {}))[1].setdefault(t.predicate.value, []).append(t.object)
    return [grouped[k] for k in sorted(grouped)]


def _predicate_order(p: str) -> tuple:
    return (p != RDF_TYPE, p)


# ---- Turtle, N-Triples, JSON-LD ----------------------------------------------------------------

def turtle(source, prefixes: dict[str, str] | None = None) -> bytes:
    """Turtle with prefixes: one block per subject, subjects, predicates and objects in N-Triples
    byte order (the order of `ntriples`), so a diff of two releases shows what changed.

    Written by pyoxigraph's serialiser in both cases. A store is written in the order it holds
    its triples (fkgraph.rdf.graph.ordered_store: build and the build cache load them so that this
    is sorted; a store you filled yourself is written in its own, still deterministic, order);
    any other source (a list of triples, such as a page's description) is sorted here, its blank
    nodes relabelled by what they say."""
    prefixes = dict(sorted((prefixes or PREFIXES).items()))
    if isinstance(source, ox.Store):
        out = _dump_turtle(source, None, prefixes)
    else:
        triples = _canonical(source)
        used = {p: ns for p, ns in prefixes.items() if any(
            isinstance(n, ox.NamedNode) and n.value.startswith(ns) for t in triples for n in (t.subject, t.predicate, t.object))
            or any(isinstance(t.object, ox.Literal) and t.object.datatype.value.startswith(ns) for t in triples)}
        out = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=used)
    return _sorted_prefix_lines(out)


def _dump_turtle(store: ox.Store, output, prefixes: dict[str, str]):
    """pyoxigraph's Turtle of the store's default graph, into `output` (a file) or as bytes."""
    return store.dump(output, format=ox.RdfFormat.TURTLE, from_graph=ox.DefaultGraph(), prefixes=prefixes)


def _sorted_prefix_lines(data: bytes) -> bytes:
    """The `@prefix` header in name order (pyoxigraph writes it in its own map's order); the
    same bytes otherwise, so that a file's head can be rewritten in place."""
    head, at = [], 0
    while data.startswith(b"@prefix ", at):
        end = data.find(b"\n", at)
        if end < 0:
            break
        head.append(data[at:end + 1])
        at = end + 1
    return b"".join(sorted(head)) + data[at:]


def _canonical(source) -> list[ox.Triple]:
    """Triples in N-Triples byte order, blank nodes relabelled by `_bnode_labels`."""
    triples = _triples(source)
    labels = _bnode_labels(triples)

    def node(n):
        return ox.BlankNode(labels[n.value]) if isinstance(n, ox.BlankNode) else n
    if labels:
        triples = [ox.Triple(node(t.subject), t.predicate, node(t.object)) for t in triples]
    keyed = {f"{t.subject} {t.predicate} {t.object} .".encode("utf-8"): t for t in triples}
    return [keyed[k] for k in sorted(keyed)]


def ntriples(source) -> bytes:
    """Sorted N-Triples: one triple a line, so a diff shows exactly what changed. A store is
    written in its own order, which build makes sorted (see `turtle`)."""
    if isinstance(source, ox.Store):
        return source.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    lines = [f"{t.subject} {t.predicate} {t.object} ." for t in _canonical(source)]
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""


def jsonld_context(prefixes: dict[str, str] | None = None) -> dict:
    """The JSON-LD context of fkgraph's dumps: the project's prefixes as terms."""
    return {"@context": dict(sorted((prefixes or PREFIXES).items()))}


def jsonld(source, prefixes: dict[str, str] | None = None) -> bytes:
    """JSON-LD in flattened form: a `@graph` of node objects, sorted like the Turtle.

    The context is written inline (the same one `context.jsonld` holds), so the file reads
    offline in any JSON-LD processor; properties and types are compact IRIs, node IRIs in
    `@id` are absolute."""
    prefixes = prefixes or PREFIXES
    triples = _triples(source)
    labels = _bnode_labels(triples)

    def key(value: str) -> str:
        return _compact(value, prefixes) or value

    def ident(node) -> str:
        return f"_:{labels[node.value]}" if isinstance(node, ox.BlankNode) else node.value

    def obj(node):
        if isinstance(node, (ox.NamedNode, ox.BlankNode)):
            return {"@id": ident(node)}
        if node.language:
            return {"@value": node.value, "@language": node.language}
        if node.datatype.value == XSD_STRING:
            return node.value
        return {"@value": node.value, "@type": key(node.datatype.value)}

    graph = []
    for subject, props in _sorted_subjects(triples, labels):
        node: dict = {"@id": ident(subject)}
        for p in sorted(props, key=_predicate_order):
            if p == RDF_TYPE:
                node["@type"] = sorted({key(o.value) if isinstance(o, ox.NamedNode) else ident(o) for o in props[p]})
            else:
                values = [obj(o) for o in props[p]]
                node[key(p)] = sorted(values, key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
        graph.append(node)
    doc = {"@context": jsonld_context(prefixes)["@context"], "@graph": graph}
    return (json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=False) + "\n").encode("utf-8")


def serialize(source, fmt: str = "turtle", prefixes: dict[str, str] | None = None) -> bytes:
    """The graph (a store or triples) as bytes in `fmt`: turtle, ntriples or jsonld."""
    if fmt == "turtle":
        return turtle(source, prefixes)
    if fmt == "ntriples":
        return ntriples(source)
    if fmt == "jsonld":
        return jsonld(source, prefixes)
    raise ExportError(f"unknown export format {fmt!r}; use one of: {', '.join(FORMATS)}")


def format_for(path: str | Path) -> str:
    """The format a file name asks for (.ttl, .nt, .jsonld, each optionally .gz); default turtle."""
    name = Path(path).name.removesuffix(".gz")
    by_ext = {ext: fmt for fmt, (ext, _, _) in FORMATS.items()}
    by_ext["json"] = "jsonld"
    return by_ext.get(name.rsplit(".", 1)[-1] if "." in name else "", "turtle")


def export(store: ox.Store, path: str | Path, fmt: str | None = None, gzip: bool | None = None) -> Path:
    """Write the store to `path` atomically; the format follows the extension unless given.

    `gzip` defaults to whether `path` ends in `.gz`; with `gzip=True` and no `.gz`, one is added."""
    path = Path(path)
    fmt = fmt or format_for(path)
    if gzip is None:
        gzip = path.suffix == ".gz"
    if not gzip and fmt in ("ntriples", "turtle") and isinstance(store, ox.Store):
        # pyoxigraph writes the file itself: no copy of the graph in Python
        with atomic_write(path, "w+b") as f:
            if fmt == "ntriples":
                store.dump(f, format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
            else:
                _dump_turtle(store, f, dict(sorted(PREFIXES.items())))
                f.seek(0)
                head = f.read(64 * 1024)
                f.seek(0)
                f.write(_sorted_prefix_lines(head)[:len(head)])  # the same lines, reordered
                f.seek(0, os.SEEK_END)
        return path
    data = serialize(store, fmt)
    if gzip:
        if path.suffix != ".gz":
            path = path.with_name(path.name + ".gz")
        data = gzip_bytes(data)
    return write_bytes(path, data)


def cbd(store: ox.Store, node: ox.NamedNode) -> list[ox.Triple]:
    """The Concise Bounded Description of `node`: its triples, and those of blank nodes it reaches."""
    out, todo, seen = [], [node], set()
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        for q in store.quads_for_pattern(n, None, None, ox.DefaultGraph()):
            out.append(q.triple)
            if isinstance(q.object, ox.BlankNode):
                todo.append(q.object)
    return out


# ---- dumps, DCAT-AP 3, VoID ----------------------------------------------------------------------

@dataclass(frozen=True)
class Dump:
    """One file of a published dump, as the catalogue describes it."""

    path: Path
    relpath: str        # under the publication folder, e.g. "dump/fkgraph.ttl.gz"
    fmt: str            # turtle | ntriples | jsonld
    gzip: bool
    size: int
    sha256: str


def write_dumps(store: ox.Store, directory: str | Path, gzip: bool = False) -> list[Dump]:
    """Write `dump/fkgraph.{ttl,nt,jsonld}` (and `.gz` copies) and `dump/context.jsonld`."""
    directory = Path(directory)
    out = []
    for fmt, (ext, _, _) in FORMATS.items():
        data = serialize(store, fmt)
        variants = [(f"dump/{DUMP_NAME}.{ext}", data, False)]
        if gzip:
            variants.append((f"dump/{DUMP_NAME}.{ext}.gz", gzip_bytes(data), True))
        for rel, blob, gz in variants:
            path = write_bytes(directory / rel, blob)
            out.append(Dump(path, rel, fmt, gz, len(blob), hashlib.sha256(blob).hexdigest()))
    context = json.dumps(jsonld_context(), ensure_ascii=False, indent=1) + "\n"
    write_bytes(directory / "dump" / CONTEXT_NAME, context.encode("utf-8"))
    return out


def _url(base_url: str) -> str:
    if not re.match(r"^https?://[^\s<>\"{}|\\^`]+$", base_url or ""):
        raise ExportError(f"{base_url!r} is not an http(s) URL; give the URL the files are served from, "
                          f"e.g. https://example.org/fkgraph/")
    return base_url if base_url.endswith("/") else base_url + "/"


class _G:
    """A small triple collector with curie helpers for the catalogue graphs."""

    def __init__(self) -> None:
        self.triples: list[ox.Triple] = []

    @staticmethod
    def n(curie_or_iri: str) -> ox.NamedNode:
        if ":" in curie_or_iri and not curie_or_iri.startswith("http"):
            prefix, local = curie_or_iri.split(":", 1)
            return ox.NamedNode(PUBLISH_PREFIXES[prefix] + local)
        return ox.NamedNode(curie_or_iri)

    def add(self, s, p: str, o) -> None:
        s = self.n(s) if isinstance(s, str) else s
        if isinstance(o, str):
            o = self.n(o)
        self.triples.append(ox.Triple(s, self.n(p), o))

    def lit(self, s, p: str, value, lang: str | None = None, datatype: str | None = None) -> None:
        if lang:
            o = ox.Literal(str(value), language=lang)
        elif datatype:
            o = ox.Literal(str(value), datatype=self.n(datatype))
        else:
            o = ox.Literal(str(value))
        self.add(s, p, o)


EU = "http://publications.europa.eu/resource/authority/"
IANA = "http://www.iana.org/assignments/media-types/"
TITLE = {"da": "fkgraph: frikommuneforsøgene og de lovbestemmelser, de fritog fra",
         "en": "fkgraph: the Danish free-municipality trials and the statutory provisions they set aside"}
SUMMARY = {  # what the graph is (the site's index shows this, then release.yaml's statement)
    "da": ("Vidensgraf over de danske frikommuneforsøg: forsøg, frikommunenetværk, kommuner, ansøgninger og "
           "de love, bekendtgørelser og bestemmelser (ned til stykke og punktum), som hvert forsøg blev fritaget "
           "fra; hvert faktum peger på det dokument og de linjer, det stammer fra."),
    "en": ("Knowledge graph of the Danish free-municipality trials: trials, networks, municipalities, "
           "applications and the acts, executive orders and provisions (down to subsection and sentence) each "
           "trial was exempted from; every fact points at the document and lines it came from."),
}
COVERAGE = {  # what it covers, for a data portal that shows only the description
    "da": ("Frikommuneforsøg II (2016-2020) er med i sin helhed, som VIVEs statusrapport fra februar 2018 "
           "beskriver det, frikommuneforsøg I (2012-2015) kun gennem tre eksempler; forsøgenes status er som i "
           "februar 2018."),
    "en": ("It covers programme II (2016-2020) in full as VIVE's status report of February 2018 describes it, "
           "and programme I (2012-2015) only through three examples; the trials' statuses are as of February 2018."),
}
DESCRIPTION = {lang: f"{SUMMARY[lang]} {COVERAGE[lang]}" for lang in SUMMARY}
KEYWORDS = {"da": ["frikommuneforsøg", "frikommunenetværk", "kommuner", "lovgivning", "fritagelse", "afbureaukratisering"],
            "en": ["free-municipality trials", "local government", "legislation", "exemptions", "deregulation"]}


_SCHEMES = {  # code list → title, as the Publications Office names them
    "language": "Language", "file-type": "File type", "frequency": "Frequency", "country": "Country",
    "data-theme": "Data theme", "licence": "Licence", "planned-availability": "Planned availability"}


def _authority(g: "_G", table: str, code: str, label: str, cls: str | None = None) -> str:
    """An entry of an EU authority table, described as the table itself describes it (scheme,
    preferred label), so the catalogue validates without fetching the tables."""
    node, scheme = f"{EU}{table}/{code}", f"{EU}{table}"
    if cls:
        g.add(node, "rdf:type", cls)
    g.add(node, "skos:inScheme", scheme)
    g.lit(node, "skos:prefLabel", label, "en")
    g.add(scheme, "rdf:type", "skos:ConceptScheme")
    g.lit(scheme, "dcterms:title", _SCHEMES[table], "en")
    return node


def _ids(base: str) -> dict[str, str]:
    parts = {"catalog": "catalog", "publisher": "publisher", "contact": "contact", "period": "period",
             "service": "sparql", "void": "void"}
    return {"dataset": iris.mint("dataset", base),
            **{key: iris.mint("dataset-part", base, part=part) for key, part in parts.items()}}


def dcat(dumps: Iterable[Dump], base_url: str, base: str = iris.DEFAULT_BASE, endpoint: str | None = None,
         release: Release | None = None) -> list[ox.Triple]:
    """A DCAT-AP 3 description of the dataset and its dumps (conforms to the DCAT-AP 3.0.1 shapes).

    `base_url` is where the files are served; `base` the IRI base of the data; `endpoint` an
    optional SPARQL endpoint URL (described as a `dcat:DataService`). `release` (default: read
    from `data/release.yaml`) gives the catalogue's, the dataset's and every distribution's
    `dcterms:issued` and `dcterms:modified`, the dataset's `dcat:version` and its
    `dcterms:temporal` period."""
    base_url = _url(base_url)
    release = release or load_release()
    issued, modified = release.issued, release.modified
    ids = _ids(base)
    g = _G()
    cat, ds = ids["catalog"], ids["dataset"]
    ontology = iris.ONTOLOGY.rstrip("#")
    licence = EU + "licence/CC_BY_4_0"

    g.add(cat, "rdf:type", "dcat:Catalog")
    for lang in ("da", "en"):
        g.lit(cat, "dcterms:title", {"da": "fkgraph-datakatalog", "en": "fkgraph data catalogue"}[lang], lang)
        g.lit(cat, "dcterms:description", {"da": "Katalog over fkgraphs åbne data om frikommuneforsøgene.",
                                            "en": "Catalogue of fkgraph's open data on the free-municipality trials."}[lang], lang)
    g.add(cat, "dcterms:publisher", ids["publisher"])
    g.add(cat, "dcat:dataset", ds)
    g.add(cat, "foaf:homepage", base_url)
    g.add(cat, "dcterms:license", licence)
    g.add(cat, "dcterms:language", EU + "language/DAN")
    g.add(cat, "dcterms:language", EU + "language/ENG")
    g.add(cat, "dcterms:spatial", EU + "country/DNK")
    g.add(cat, "dcat:themeTaxonomy", EU + "data-theme")
    g.lit(cat, "dcterms:issued", issued, datatype="xsd:date")
    g.lit(cat, "dcterms:modified", modified, datatype="xsd:date")

    g.add(ids["publisher"], "rdf:type", "foaf:Agent")
    g.lit(ids["publisher"], "foaf:name", "fkgraph-projektet", "da")
    g.lit(ids["publisher"], "foaf:name", "The fkgraph project", "en")
    publisher_type = "http://purl.org/adms/publishertype/NonProfitOrganisation"
    g.add(ids["publisher"], "dcterms:type", publisher_type)
    g.add(publisher_type, "rdf:type", "skos:Concept")
    g.add(publisher_type, "skos:inScheme", "http://purl.org/adms/publishertype/1.0")
    g.lit(publisher_type, "skos:prefLabel", "Non-Profit Organisation", "en")

    g.add(ids["contact"], "rdf:type", "vcard:Organization")
    g.add(ids["contact"], "rdf:type", "vcard:Kind")
    g.lit(ids["contact"], "vcard:fn", "fkgraph")
    g.add(ids["contact"], "vcard:hasURL", base_url)

    g.add(ds, "rdf:type", "dcat:Dataset")
    for lang in ("da", "en"):
        g.lit(ds, "dcterms:title", TITLE[lang], lang)
        g.lit(ds, "dcterms:description", DESCRIPTION[lang], lang)
        for k in KEYWORDS[lang]:
            g.lit(ds, "dcat:keyword", k, lang)
    g.add(ds, "dcterms:publisher", ids["publisher"])
    g.add(ds, "dcat:contactPoint", ids["contact"])
    g.add(ds, "dcterms:license", licence)
    g.add(ds, "dcterms:spatial", EU + "country/DNK")
    g.add(ds, "dcterms:temporal", ids["period"])
    g.add(ds, "dcat:theme", EU + "data-theme/GOVE")
    g.add(ds, "dcat:theme", EU + "data-theme/JUST")
    g.add(ds, "dcterms:conformsTo", ontology)
    g.add(ds, "dcterms:language", EU + "language/DAN")
    g.add(ds, "dcterms:language", EU + "language/ENG")
    g.add(ds, "dcat:landingPage", base_url + "index.html")
    g.add(ds, "foaf:page", base_url + "index.html")
    g.add(ds, "dcterms:accrualPeriodicity", EU + "frequency/IRREG")
    g.lit(ds, "dcterms:issued", issued, datatype="xsd:date")
    g.lit(ds, "dcterms:modified", modified, datatype="xsd:date")
    g.lit(ds, "dcat:version", release.version)
    g.add(ds, "rdfs:seeAlso", base_url + "void.ttl")

    g.add(ids["period"], "rdf:type", "dcterms:PeriodOfTime")
    g.lit(ids["period"], "dcat:startDate", release.start, datatype="xsd:date")
    g.lit(ids["period"], "dcat:endDate", release.end, datatype="xsd:date")

    # The things the catalogue points at, typed as the DCAT-AP range shapes ask.
    _authority(g, "licence", "CC_BY_4_0", "Creative Commons Attribution 4.0 International", "dcterms:LicenseDocument")
    g.add(licence, "rdfs:seeAlso", "https://creativecommons.org/licenses/by/4.0/")
    licence_type = "http://purl.org/adms/licencetype/Attribution"
    g.add(licence, "dcterms:type", licence_type)
    g.add(licence_type, "rdf:type", "skos:Concept")
    g.add(licence_type, "skos:inScheme", "http://purl.org/adms/licencetype/1.0")
    g.lit(licence_type, "skos:prefLabel", "Attribution", "en")
    g.add("http://purl.org/adms/licencetype/1.0", "rdf:type", "skos:ConceptScheme")
    g.lit("http://purl.org/adms/licencetype/1.0", "dcterms:title", "Licence type", "en")
    g.add("http://purl.org/adms/publishertype/1.0", "rdf:type", "skos:ConceptScheme")
    g.lit("http://purl.org/adms/publishertype/1.0", "dcterms:title", "Publisher type", "en")
    dnk = _authority(g, "country", "DNK", "Denmark", "dcterms:Location")
    wkt = "http://www.opengis.net/ont/geosparql#wktLiteral"  # a rough box and centre, for map previews
    g.lit(dnk, "dcat:bbox", "POLYGON((8.07 54.55,15.20 54.55,15.20 57.75,8.07 57.75,8.07 54.55))", datatype=wkt)
    g.lit(dnk, "dcat:centroid", "POINT(10.0 56.0)", datatype=wkt)
    for theme, label in (("GOVE", "Government and public sector"), ("JUST", "Justice, legal system and public safety")):
        _authority(g, "data-theme", theme, label, "skos:Concept")
    for lang, label in (("DAN", "Danish"), ("ENG", "English")):
        _authority(g, "language", lang, label, "dcterms:LinguisticSystem")
    _authority(g, "frequency", "IRREG", "irregular", "dcterms:Frequency")
    _authority(g, "planned-availability", "STABLE", "stable", "skos:Concept")
    g.add(ontology, "rdf:type", "dcterms:Standard")
    g.lit(ontology, "dcterms:title", "fkgraph-ontologien", "da")
    g.lit(ontology, "dcterms:title", "The fkgraph ontology", "en")
    g.add(base_url + "index.html", "rdf:type", "foaf:Document")
    g.add(base_url, "rdf:type", "foaf:Document")

    for d in sorted(dumps, key=lambda d: d.relpath):
        ext, media, eu_code = FORMATS[d.fmt]
        dist = f"{ds}/distribution/{d.relpath.split('/')[-1].replace('.', '-')}"
        g.add(ds, "dcat:distribution", dist)
        g.add(dist, "rdf:type", "dcat:Distribution")
        name = {"turtle": "Turtle", "ntriples": "N-Triples", "jsonld": "JSON-LD"}[d.fmt] + (", gzip" if d.gzip else "")
        g.lit(dist, "dcterms:title", f"Hele grafen som {name}", "da")
        g.lit(dist, "dcterms:title", f"The whole graph as {name}", "en")
        g.add(dist, "dcat:accessURL", base_url + "index.html")
        g.add(dist, "dcat:downloadURL", base_url + d.relpath)
        g.add(dist, "dcat:mediaType", IANA + media)
        g.add(IANA + media, "rdf:type", "dcterms:MediaType")
        g.add(dist, "dcterms:format", _authority(g, "file-type", eu_code, eu_code.replace("_", " "), "dcterms:MediaTypeOrExtent"))
        g.lit(dist, "dcterms:description", f"Alle tripler i datasættet som {name}"
              + (" (gzip-komprimeret)" if d.gzip else "") + ", sorteret, så to udgaver kan sammenlignes linje for linje.", "da")
        g.lit(dist, "dcterms:description", f"Every triple of the dataset as {name}"
              + (" (gzip-compressed)" if d.gzip else "") + ", sorted so that two releases compare line by line.", "en")
        g.add(dist, "dcatap:availability", EU + "planned-availability/STABLE")
        if d.gzip:
            g.add(dist, "dcat:compressFormat", IANA + "application/gzip")
            g.add(IANA + "application/gzip", "rdf:type", "dcterms:MediaType")
        g.lit(dist, "dcat:byteSize", d.size, datatype="xsd:nonNegativeInteger")
        g.add(dist, "dcterms:license", licence)
        g.add(dist, "dcterms:conformsTo", ontology)
        g.lit(dist, "dcterms:issued", issued, datatype="xsd:date")
        g.lit(dist, "dcterms:modified", modified, datatype="xsd:date")
        checksum = dist + "/sha256"
        g.add(dist, "spdx:checksum", checksum)
        g.add(checksum, "rdf:type", "spdx:Checksum")
        g.add(checksum, "spdx:algorithm", "spdx:checksumAlgorithm_sha256")
        g.lit(checksum, "spdx:checksumValue", d.sha256, datatype="xsd:hexBinary")
        if endpoint:
            g.add(dist, "dcat:accessService", ids["service"])

    if endpoint:
        svc = ids["service"]
        g.add(cat, "dcat:service", svc)
        g.add(svc, "rdf:type", "dcat:DataService")
        g.lit(svc, "dcterms:title", "fkgraph SPARQL-endpoint", "da")
        g.lit(svc, "dcterms:title", "fkgraph SPARQL endpoint", "en")
        g.add(svc, "dcat:endpointURL", endpoint)
        g.add(svc, "dcat:servesDataset", ds)
        g.add(svc, "dcterms:conformsTo", "https://www.w3.org/TR/sparql11-protocol/")
        g.add("https://www.w3.org/TR/sparql11-protocol/", "rdf:type", "dcterms:Standard")
        g.add(svc, "dcat:contactPoint", ids["contact"])
        g.add(svc, "dcterms:publisher", ids["publisher"])
        g.add(svc, "dcterms:license", licence)
        g.add(svc, "dcat:theme", EU + "data-theme/GOVE")
        g.lit(svc, "dcat:keyword", "SPARQL", "en")
        g.add(svc, "dcat:endpointDescription", base_url + "void.ttl")
    return g.triples


_VOID_COUNTS = """
SELECT (COUNT(*) AS ?triples) (COUNT(DISTINCT ?s) AS ?subjects) (COUNT(DISTINCT ?o) AS ?objects)
       (COUNT(DISTINCT ?p) AS ?properties) WHERE { ?s ?p ?o }"""
_VOID_ENTITIES = "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s ?p ?o FILTER(isIRI(?s) && STRSTARTS(STR(?s), {space})) }}"
_VOID_CLASSES = "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c ORDER BY ?c"
_VOID_PROPERTIES = "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY ?p"
_VOID_EXAMPLES = """PREFIX fk: <https://w3id.org/fkgraph/ontology#> PREFIX eli: <http://data.europa.eu/eli/ontology#>
SELECT ?c (MIN(STR(?s)) AS ?example) WHERE {
  VALUES ?c { fk:Network fk:Trial fk:Municipality eli:LegalResource eli:LegalResourceSubdivision fk:Exemption }
  ?s a ?c } GROUP BY ?c ORDER BY ?c"""


def _slug_iri(iri: str) -> str:
    c = _compact(iri, PUBLISH_PREFIXES)
    return iris.slug(c.replace(":", "-") if c else iri)


def void(store: ox.Store, dumps: Iterable[Dump], base_url: str, base: str = iris.DEFAULT_BASE,
         endpoint: str | None = None) -> list[ox.Triple]:
    """A VoID description: sizes, class and property partitions, URI space, examples, dumps."""
    base_url = _url(base_url)
    ids = _ids(base)
    ds = ids["dataset"]
    g = _G()
    g.add(ds, "rdf:type", "void:Dataset")
    g.lit(ds, "dcterms:title", TITLE["da"], "da")
    g.lit(ds, "dcterms:title", TITLE["en"], "en")
    g.add(ds, "dcterms:license", "https://creativecommons.org/licenses/by/4.0/")
    g.add(ds, "foaf:homepage", base_url + "index.html")
    g.add(ds, "rdfs:seeAlso", base_url + "dcat.ttl")
    row = next(iter(store.query(_VOID_COUNTS)))
    for key, prop in (("triples", "void:triples"), ("subjects", "void:distinctSubjects"),
                      ("objects", "void:distinctObjects"), ("properties", "void:properties")):
        g.lit(ds, prop, row[key].value, datatype="xsd:integer")
    space = base + "id/"
    g.lit(ds, "void:uriSpace", space)
    n = next(iter(store.query(_VOID_ENTITIES.format(space=ox.Literal(space)))))["n"]  # a term, written escaped
    g.lit(ds, "void:entities", n.value, datatype="xsd:integer")
    classes = list(store.query(_VOID_CLASSES))
    g.lit(ds, "void:classes", len(classes), datatype="xsd:integer")
    vocabularies = set()
    for sol in classes:
        part = f"{ds}/void/class/{_slug_iri(sol['c'].value)}"
        g.add(ds, "void:classPartition", part)
        g.add(part, "void:class", sol["c"])
        g.lit(part, "void:entities", sol["n"].value, datatype="xsd:integer")
        vocabularies.add(sol["c"].value)
    for sol in store.query(_VOID_PROPERTIES):
        part = f"{ds}/void/property/{_slug_iri(sol['p'].value)}"
        g.add(ds, "void:propertyPartition", part)
        g.add(part, "void:property", sol["p"])
        g.lit(part, "void:triples", sol["n"].value, datatype="xsd:integer")
        vocabularies.add(sol["p"].value)
    for ns in sorted({ns for ns in PREFIXES.values() for v in vocabularies if v.startswith(ns)}):
        g.add(ds, "void:vocabulary", ns.rstrip("#") if ns.endswith("#") else ns)
    for sol in store.query(_VOID_EXAMPLES):
        g.add(ds, "void:exampleResource", sol["example"].value)
    root = iris.mint("programme", base, programme="frikommune-ii")
    if ox.Quad(ox.NamedNode(root), ox.NamedNode(RDF_TYPE), ox.NamedNode(iris.ONTOLOGY + "Programme"), ox.DefaultGraph()) in store:
        g.add(ds, "void:rootResource", root)
    feature = {"turtle": "http://www.w3.org/ns/formats/Turtle", "ntriples": "http://www.w3.org/ns/formats/N-Triples",
               "jsonld": "http://www.w3.org/ns/formats/JSON-LD"}
    for d in sorted(dumps, key=lambda d: d.relpath):
        g.add(ds, "void:dataDump", base_url + d.relpath)
        g.add(ds, "void:feature", feature[d.fmt])
    if endpoint:
        g.add(ds, "void:sparqlEndpoint", endpoint)
    return g.triples


@dataclass
class Publication:
    """What `publish` wrote."""

    directory: Path
    dumps: list[Dump]
    dcat: Path
    void: Path
    well_known: Path
    release: Release | None = None   # as described in dcat.ttl ($SOURCE_DATE_EPOCH applied)


def publish(store: ox.Store, directory: str | Path, base_url: str | None = None, base: str = iris.DEFAULT_BASE,
            endpoint: str | None = None, gzip: bool = False, release: Release | None = None) -> Publication:
    """Write the dumps, `dcat.ttl`, `void.ttl` and `.well-known/void` into `directory`.

    `base_url` is the public URL of `directory` (default: the IRI base, which w3id redirects to
    the published files). `release` is the release metadata (default: `data/release.yaml` of the
    project home, see `load_release`); `$SOURCE_DATE_EPOCH`, when set, overrides its `modified`
    date (reproducible builds). Dates never come from the clock: everything is deterministic for
    the same data and arguments."""
    directory = Path(directory)
    base_url = _url(base_url or base)
    if endpoint:
        _url(endpoint)
    release = release or load_release()
    epoch = _source_date_epoch()
    if epoch:
        release = replace(release, modified=epoch)
    dumps = write_dumps(store, directory, gzip)
    dcat_path = write_bytes(directory / "dcat.ttl",
                            turtle(dcat(dumps, base_url, base, endpoint, release), PUBLISH_PREFIXES))
    void_ttl = turtle(void(store, dumps, base_url, base, endpoint), PUBLISH_PREFIXES)
    void_path = write_bytes(directory / "void.ttl", void_ttl)
    well_known = write_bytes(directory / ".well-known" / "void", void_ttl)
    return Publication(directory, dumps, dcat_path, void_path, well_known, release)
