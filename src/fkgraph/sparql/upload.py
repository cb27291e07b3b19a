"""Upload a graph to a SPARQL 1.1 store with the Graph Store Protocol, in chunks, then check its count."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import pyoxigraph as ox

from fkgraph.errors import UsageError
from fkgraph.sparql.remote import Endpoint, EndpointError, as_endpoint, public_url

DEFAULT_CHUNK = 50_000


@dataclass(frozen=True)
class PushResult:
    endpoint: str
    graph: str | None
    triples: int      # sent
    chunks: int
    count: int        # in the target graph afterwards
    seconds: float


def chunks(store: ox.Store, size: int = DEFAULT_CHUNK) -> list[bytes]:
    """The default graph of `store` as N-Triples documents of at most `size` triples each.

    Blank-node labels are scoped to one document, so every triple that mentions a blank node
    goes into the first chunk together (fkgraph mints IRIs for everything; this is a guard)."""
    if size < 1:
        raise UsageError(f"chunk size {size}: must be at least 1 triple")
    lines = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()).splitlines()
    lines = sorted(set(l for l in lines if l.strip()))
    blank = [l for l in lines if l.startswith(b"_:") or b" _:" in l]
    named = [l for l in lines if not (l.startswith(b"_:") or b" _:" in l)]
    out = [blank] if blank else []
    first = size - len(blank) if blank and len(blank) < size else 0
    if first:
        out[0] = blank + named[:first]
        named = named[first:]
    out += [named[i:i + size] for i in range(0, len(named), size)]
    return [b"\n".join(c) + b"\n" for c in out] or [b""]


def push(store: ox.Store, target: Endpoint | str, graph: str | None = None, replace: bool = False,
         chunk_size: int = DEFAULT_CHUNK, timeout: float | None = None,
         progress: Callable[[int], None] | None = None) -> PushResult:
    """Upload the default graph of `store` with the Graph Store Protocol, then check the count.

    `replace`: the first chunk is a PUT (replacing the target graph), the rest POSTs (adding);
    otherwise every chunk is a POST. Afterwards the triples in the target graph are counted: with
    `replace` the count must equal what was sent, otherwise be at least that. `progress(n)` is
    called with the number of triples sent by each chunk.
    """
    ep = as_endpoint(target, graph, timeout)
    if graph is not None and ep.graph is None:
        ep.graph = graph
    start = time.monotonic()
    docs = chunks(store, chunk_size)
    sent = 0
    for i, doc in enumerate(docs):
        ep.send(doc, replace=replace and i == 0)
        n = doc.count(b"\n") if doc else 0
        sent += n
        if progress:
            progress(n)
    count = ep.count()
    where = f"graph <{ep.graph}>" if ep.graph else "the default graph"
    if replace and count != sent:
        raise EndpointError(ep.url, f"after the upload {where} holds {count} triples, not the {sent} sent",
                            "another writer may be using it, or the store changed the data (inference?)")
    if not replace and count < sent:
        raise EndpointError(ep.url, f"after the upload {where} holds {count} triples, fewer than the {sent} sent")
    return PushResult(public_url(ep.url), ep.graph, sent, len(docs), count, time.monotonic() - start)
