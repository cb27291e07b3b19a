"""The readers behind graph.grouped_store and graph.load_sorted: every line, in the right order,
whatever the block size and however pyoxigraph sizes its reads."""
from __future__ import annotations

import io

from hypothesis import given, settings, strategies as st

from fkgraph.rdf import graph

LINES = st.lists(st.text(alphabet=st.characters(blacklist_characters="\n\r", blacklist_categories=("Cs",)), max_size=40)
                 .map(lambda s: s + "\n"), max_size=60)


def _drain(reader, sizes) -> bytes:
    out, i = [], 0
    while True:
        piece = reader.read(sizes[i % len(sizes)] if sizes else -1)
        i += 1
        if not piece:
            return b"".join(out)
        out.append(piece)


@settings(max_examples=300, deadline=None)
@given(LINES, st.integers(1, 64), st.lists(st.integers(1, 50), max_size=5), st.booleans())
def test_reversed_lines_gives_every_line_last_first(lines, block, sizes, strip_last_newline):
    data = "".join(lines).encode("utf-8")
    if strip_last_newline:
        data = data.removesuffix(b"\n")
    kept = [l if l.endswith(b"\n") else l + b"\n" for l in data.splitlines(keepends=True)]  # a last line gets its newline
    expected = b"".join(reversed(kept))
    assert _drain(graph._ReversedLines(io.BytesIO(data), block), sizes) == expected


# Subjects as N-Triples writes them: IRIs (some a prefix of another but for the ">") and blank
# node labels (some a prefix of another), so the grouped sort must agree with sorting whole lines.
SUBJECTS = st.one_of(st.text(alphabet="ab/>é", max_size=4).map(lambda t: "<" + t.replace(">", "") + ">"),
                     st.text(alphabet="b1é", min_size=1, max_size=3).map(lambda t: "_:" + t))
REST = st.text(alphabet=st.characters(blacklist_characters="\n\r", blacklist_categories=("Cs",)), max_size=12)
TRIPLES = st.lists(st.tuples(SUBJECTS, REST).map(lambda t: f"{t[0]} {t[1]}\n"), max_size=60)


@settings(max_examples=300, deadline=None)
@given(TRIPLES, st.integers(1, 7), st.lists(st.integers(1, 50), max_size=5))
def test_grouped_reader_gives_the_sorted_lines(lines, chunk, sizes):
    groups: dict[str, bytearray] = {}
    for line in lines:
        s, rest = line.split(" ", 1)
        groups.setdefault(s, bytearray()).extend(rest.encode("utf-8"))
    subjects, total = sorted(groups), len(lines)
    expected = sorted(set(lines))
    reader = graph._GroupedReader(subjects, groups, total, chunk=chunk)
    assert _drain(reader, sizes) == "".join(expected).encode("utf-8")
    assert groups == {} and reader.done == total  # every group was handed over and dropped


def test_load_sorted_reads_back_what_ordered_store_dumped(tmp_path):
    import pyoxigraph as ox

    lines = [f"<http://example.org/s{i % 7}> <http://example.org/p{i % 3}> \"{i}\" .\n" for i in range(500)]
    store = graph.ordered_store(reversed(lines))
    path = tmp_path / "g.nt"
    path.write_bytes(store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()))
    assert path.read_text().splitlines(keepends=True) == sorted(set(lines))
    again = graph.load_sorted(path)
    assert again.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()) == path.read_bytes()


def test_a_build_leaves_no_provision_paths_memoised():
    """What a build memoises while its records are alive goes with it: cached entries made
    among the records' objects would keep their freed heap resident (graph.build, iris.forget)."""
    from fkgraph import api
    from fkgraph.model import iris

    records = api.load_records()
    built = graph.build(records)
    assert len(built.store) > 1000
    assert iris._path.cache_info().currsize == 0
