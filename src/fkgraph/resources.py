"""Where the data, ontology and stored queries live.

A maintainer runs fkgraph inside a checkout and edits `data/`; a user who installed the wheel
has no checkout, so the wheel carries a copy under `fkgraph/_share/`. The first home found wins:
an explicit path, `$FKGRAPH_HOME`, the current directory, the checkout this package sits in, the
packaged copy.
"""
from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _is_home(path: Path) -> bool:
    return (path / "data" / "statutes.yaml").is_file() and (path / "ontology").is_dir()


def home(explicit: str | os.PathLike | None = None) -> Path:
    """The project home: the folder holding `data/`, `ontology/` and `queries/`."""
    candidates = []
    if explicit:
        candidates.append(Path(explicit))
    if os.environ.get("FKGRAPH_HOME"):
        candidates.append(Path(os.environ["FKGRAPH_HOME"]))
    candidates += [Path.cwd(), _PACKAGE.parents[1], _PACKAGE / "_share"]
    for c in candidates:
        if _is_home(c):
            return c.resolve()
    if explicit:
        raise FileNotFoundError(f"{explicit}: not an fkgraph home (expected data/statutes.yaml and ontology/ in it)")
    raise FileNotFoundError("no fkgraph home found: run inside a checkout or set FKGRAPH_HOME")


def data_dir(explicit=None) -> Path:
    return home(explicit) / "data"


def ontology_file(explicit=None) -> Path:
    return home(explicit) / "ontology" / "fk.ttl"


def shapes_file(explicit=None) -> Path:
    return home(explicit) / "ontology" / "shapes.ttl"


def queries_dir(explicit=None) -> Path:
    return home(explicit) / "queries"

