"""Byte-stable output is a property of the serialisers: whatever order the triples were produced
or loaded in, the N-Triples and Turtle of a store come out in N-Triples byte order."""
from __future__ import annotations

import dataclasses
import random

import pyoxigraph as ox
from hypothesis import given, settings, strategies as st

from fkgraph import api
from fkgraph.rdf import mapping, serialize
from fkgraph.rdf.store import load

# Subjects as N-Triples writes them, some a prefix of another but for the ">"
IRIS = st.text(alphabet="ab/é", max_size=4).map(lambda t: f"<http://example.org/{t}>")
LITERALS = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8).map(
    lambda t: str(ox.Literal(t)))
TRIPLES = st.lists(st.tuples(IRIS, IRIS, st.one_of(IRIS, LITERALS)), max_size=60)


@settings(max_examples=200, deadline=None)
@given(TRIPLES, st.randoms(use_true_random=False))
def test_a_store_filled_in_any_order_exports_sorted(triples, rnd):
    lines = [f"{s} {p} {o} .\n".encode() for s, p, o in triples]
    shuffled = lines[:]
    rnd.shuffle(shuffled)
    store, other = ox.Store(), ox.Store()
    store.load(b"".join(lines), format=ox.RdfFormat.N_TRIPLES)
    other.load(b"".join(shuffled + shuffled[:5]), format=ox.RdfFormat.N_TRIPLES)  # duplicates too
    nt = serialize.ntriples(store)
    assert nt.splitlines(keepends=True) == sorted(set(nt.splitlines(keepends=True)))
    assert serialize.ntriples(other) == nt
    assert serialize.turtle(other) == serialize.turtle(store)
    assert sorted(_parsed(serialize.turtle(store), ox.RdfFormat.TURTLE)) == sorted(_parsed(nt, ox.RdfFormat.N_TRIPLES))


def _parsed(data: bytes, fmt) -> list[str]:
    return [f"{t.subject} {t.predicate} {t.object}" for t in ox.parse(data, format=fmt)]


def test_two_builds_from_shuffled_records_give_the_same_bytes(tmp_path):
    records = api.load_records()
    rnd = random.Random(3)
    shuffled = dataclasses.replace(records, **{f.name: rnd.sample(getattr(records, f.name), len(getattr(records, f.name)))
                                               for f in dataclasses.fields(records) if f.name != "root"})
    first, second = mapping.build(records), mapping.build(shuffled)
    for name in ("g.ttl", "g.nt"):
        a = serialize.export(first.store, tmp_path / f"a-{name}")
        b = serialize.export(second.store, tmp_path / f"b-{name}")
        assert a.read_bytes() == b.read_bytes()
    assert serialize.turtle(first.store) == (tmp_path / "a-g.ttl").read_bytes()
    assert serialize.ntriples(first.store) == (tmp_path / "a-g.nt").read_bytes()


def test_load_reads_back_a_dump(tmp_path):
    lines = [f"<http://example.org/s{i % 7}> <http://example.org/p{i % 3}> \"{i}\" .\n" for i in range(500)]
    path = tmp_path / "g.nt"
    path.write_text("".join(reversed(lines)))
    store = load(path)
    assert serialize.ntriples(store) == "".join(sorted(set(lines))).encode()


def test_a_build_leaves_no_provision_paths_memoised():
    """What a build memoises while its records are alive goes with it: cached entries made
    among the records' objects would keep their freed heap resident (mapping.build, iris.forget)."""
    from fkgraph.model import iris

    built = mapping.build(api.load_records())
    assert len(built.store) > 1000
    assert iris._path.cache_info().currsize == 0
