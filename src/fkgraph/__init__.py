"""fkgraph: the knowledge graph of Danish free-municipality trials and the laws they set aside.

The Python API mirrors the command line (`fkgraph build` is `fkgraph.build()`, and so on):

    >>> import fkgraph
    >>> built = fkgraph.build()                      # records → graph, in memory
    >>> fkgraph.validate(built).conforms
    True
    >>> fkgraph.query("most-exempted-statutes", built=built).rows[0]
    >>> fkgraph.export(built, "dist/fkgraph.ttl")
    >>> fkgraph.cite("servicelovens § 52, stk. 3")    # = fkgraph cite "…"
    >>> fkgraph.publish("dist"); fkgraph.site("public")
"""
from __future__ import annotations

from .api import (BuildError, build, build_to, check, cite, docs, export, load_records, publish,  # noqa: F401
                  query, serve, site, stats, validate)

__version__ = "0.3.0"
__all__ = ["build", "build_to", "check", "validate", "query", "export", "publish", "site", "docs", "cite", "stats",
           "serve", "load_records", "BuildError"]

