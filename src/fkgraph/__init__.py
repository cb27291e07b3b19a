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

import sys
import types

from .api import (BuildError, build, build_to, cite, docs, export, load_records, publish,  # noqa: F401
                  query, site, stats, validate)

__version__ = "0.2.0"
__all__ = ["build", "build_to", "validate", "query", "export", "publish", "site", "docs", "cite", "stats",
           "load_records", "BuildError"]


class _Package(types.ModuleType):
    """Keeps `fkgraph.export`, `.validate`, `.site` and `.docs` the API functions.

    Python binds a submodule to its package's attribute of the same name when it is first
    imported; the API imports those modules only when they are needed (to keep `fkgraph query`
    quick to start), so without this the first `fkgraph.docs()` would replace the function
    `fkgraph.docs` with the module. Import the modules by their full name:
    `from fkgraph.export import atomic_write`."""

    def __setattr__(self, name: str, value) -> None:
        if name in __all__ and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
