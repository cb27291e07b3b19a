"""fkgraph: the knowledge graph of Danish free-municipality trials and the laws they set aside.

The Python API mirrors the command line (`fkgraph build` is `fkgraph.build()`, and so on):

    >>> import fkgraph
    >>> built = fkgraph.build()                      # records → graph, in memory
    >>> fkgraph.validate(built).conforms
    True
    >>> fkgraph.query("most-exempted-statutes", built=built).rows[0]
    >>> fkgraph.export(built, "dist/fkgraph.ttl")
"""
from __future__ import annotations

from .api import build, export, query, validate, load_records, BuildError  # noqa: F401

__version__ = "0.1.0"
__all__ = ["build", "validate", "query", "export", "load_records", "BuildError"]
