"""A read-only stand-in for `pyoxigraph.Store` over a SPARQL endpoint, for code written for the
embedded store (the parameter resolver)."""
from __future__ import annotations

import re

import pyoxigraph as ox

from fkgraph.sparql.binding import mask


class RemoteStore:
    """A read-only stand-in for `pyoxigraph.Store` over an endpoint: `query(text, substitutions=…)`
    and `quads_for_pattern(s, p, o)`, so code written for the embedded store (the parameter
    resolver) runs unchanged against the endpoint.

    pyoxigraph's substitutions bind a variable everywhere in the query, filters in nested groups
    included; a VALUES block would not reach those (SPARQL evaluates groups bottom-up). So each
    substituted variable is replaced, after the WHERE keyword, by its term written in N-Triples
    syntax by pyoxigraph (escaped and typed: a value can never become query syntax)."""

    def __init__(self, endpoint):  # a remote.Endpoint
        self.endpoint = endpoint

    def query(self, text: str, substitutions: dict | None = None):
        for var, term in (substitutions or {}).items():
            text = substitute(text, var.value if isinstance(var, ox.Variable) else str(var).lstrip("?$"), term)
        return self.endpoint.solutions(text)[1]

    def quads_for_pattern(self, subject=None, predicate=None, object=None, graph_name=None):
        if graph_name is not None and not isinstance(graph_name, ox.DefaultGraph):
            raise NotImplementedError("RemoteStore reads the endpoint's target graph only")
        names = ("s", "p", "o")
        given = (subject, predicate, object)
        pattern = " ".join(str(t) if t is not None else "?" + n for t, n in zip(given, names))
        free = [n for t, n in zip(given, names) if t is None]
        text = f"SELECT {' '.join('?' + n for n in free) or '*'} WHERE {{ {pattern} }}"
        if not free:
            text = f"ASK {{ {pattern} }}"
            found = self.endpoint.solutions(text)[1]
            return iter([ox.Quad(subject, predicate, object, ox.DefaultGraph())] if found else [])
        _, solutions = self.endpoint.solutions(text)
        return iter([ox.Quad(*(t if t is not None else sol[n] for t, n in zip(given, names)), ox.DefaultGraph())
                     for sol in solutions])


def substitute(text: str, name: str, term) -> str:
    """Replace `?name` / `$name` after the first WHERE (not in strings, IRIs or comments) by `term`."""
    masked = mask(text)
    where = re.search(r"\bWHERE\s*\{", masked, re.I)
    start = where.end() if where else 0
    pattern = re.compile(r"[?$]" + re.escape(name) + r"(?![A-Za-z0-9_\u00B7\u00C0-\uFFFF])")
    out, last = [], 0
    for m in pattern.finditer(masked, start):
        out.append(text[last:m.start()])
        out.append(str(term))
        last = m.end()
    out.append(text[last:])
    return "".join(out)
