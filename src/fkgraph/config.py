"""One settings object, built once from options, the environment and defaults, and passed to every
API function, so that `--home` and `--base` reach every command by construction.

A maintainer runs fkgraph inside a checkout and edits `data/`; a user who installed the wheel has
no checkout, so the wheel carries a copy under `fkgraph/_share/`. Without an explicit home the
first found wins: `$FKGRAPH_HOME`, the current directory, the checkout this package sits in, the
packaged copy. A home needs only `data/statutes.yaml`: a data repository without its own
`ontology/` or `queries/` uses the packaged ones for those, never the packaged data.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

from fkgraph.errors import UsageError

_PACKAGE = Path(__file__).resolve().parent
DEFAULT_BASE = "https://w3id.org/fkgraph/"
#: What a base may be: an absolute http(s) IRI ending in / or #, with no character that would
#: need escaping in Turtle, N-Triples or an HTML attribute.
_BASE = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~%!$&'()*+,;=:@/-]*)?[/#]\Z")
MAX_BASE = 200


@dataclass(frozen=True)
class Settings:
    """Where fkgraph reads from, what IRIs it mints and where it caches builds."""

    home: Path
    base: str = DEFAULT_BASE
    cache_dir: Path | None = None            # None: builds are not cached
    endpoint_user: str | None = None         # remote credentials (else ~/.netrc)
    endpoint_password: str | None = None

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def ontology_file(self) -> Path:
        return part(self.home, "ontology") / "fk.ttl"

    @property
    def shapes_file(self) -> Path:
        return part(self.home, "ontology") / "shapes.ttl"

    @property
    def queries_dir(self) -> Path:
        return part(self.home, "queries")

    def parts(self) -> dict[str, Path]:
        """Where each part of the home is read from: data/ always from the home itself."""
        return {"data": self.data_dir, "ontology": part(self.home, "ontology"), "queries": self.queries_dir}

    def describe(self) -> str:
        """One line saying which parts are the home's own and which are packaged."""
        own = [name for name, path in self.parts().items() if path.parent == self.home]
        packaged = [name for name, path in self.parts().items() if path.parent != self.home]
        line = f"home {self.home}: " + ", ".join(f"{n}/" for n in own)
        return line + (f"; packaged {', '.join(f'{n}/' for n in packaged)} from {_packaged_home()}" if packaged else "")

    def but(self, **changes) -> "Settings":
        """A copy with some fields changed (None leaves a field as it is)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def check_base(base: str) -> str:
    """`base` if it can prefix every minted IRI; a UsageError naming the option otherwise."""
    if not isinstance(base, str) or len(base) > MAX_BASE or not _BASE.match(base):
        shown = repr(base)[:80]
        raise UsageError(f"--base {shown} is not usable as an IRI base: give an http(s) IRI of at most "
                         f"{MAX_BASE} characters ending in / or #, e.g. https://example.org/fkgraph/")
    return base


def default_cache_dir(environ=os.environ) -> Path:
    """`$FKGRAPH_CACHE`, else the platform's user cache folder for fkgraph."""
    if environ.get("FKGRAPH_CACHE"):
        return Path(environ["FKGRAPH_CACHE"])
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("fkgraph", appauthor=False))


def settings(given: Settings | None = None, *, home: str | os.PathLike | None = None, base: str | None = None,
             cache: bool | None = None, environ=os.environ) -> Settings:
    """The settings to use: `given` (or the defaults and environment), with any explicit option on top."""
    if given is None:
        given = Settings(home=find_home(None, environ), cache_dir=default_cache_dir(environ),
                         endpoint_user=environ.get("FKGRAPH_ENDPOINT_USER"),
                         endpoint_password=environ.get("FKGRAPH_ENDPOINT_PASSWORD"))
    if home is not None:
        given = replace(given, home=find_home(home, environ))
    if base is not None:
        given = replace(given, base=check_base(base))
    if cache is False:
        given = replace(given, cache_dir=None)
    return given


def _is_home(path: Path) -> bool:
    return (path / "data" / "statutes.yaml").is_file()


def _packaged_home() -> Path:
    """The ontology and queries that came with this fkgraph: the wheel's copy, or the checkout's."""
    for c in (_PACKAGE / "_share", _PACKAGE.parents[1]):
        if (c / "ontology" / "fk.ttl").is_file():
            return c
    return _PACKAGE / "_share"


def part(home_dir: Path, name: str) -> Path:
    """`home_dir/name` if the home has it, else the packaged one (ontology/ and queries/ only)."""
    own = Path(home_dir) / name
    return own if own.is_dir() or name == "data" else _packaged_home() / name


def find_home(explicit: str | os.PathLike | None = None, environ=os.environ) -> Path:
    """The project home: the folder holding `data/`, `ontology/` and `queries/`."""
    candidates = []
    if explicit:
        candidates.append(Path(explicit))
    elif environ.get("FKGRAPH_HOME"):
        candidates.append(Path(environ["FKGRAPH_HOME"]))
    else:
        candidates += [Path.cwd(), _PACKAGE.parents[1], _PACKAGE / "_share"]
    for c in candidates:
        if _is_home(c):
            return c.resolve()
    if candidates and (explicit or environ.get("FKGRAPH_HOME")):
        where = "--home" if explicit else "$FKGRAPH_HOME"
        missing = "the folder does not exist" if not candidates[0].is_dir() else "data/statutes.yaml is missing"
        raise UsageError(f"{where} {candidates[0]}: not an fkgraph home ({missing}); give a folder with "
                         f"data/statutes.yaml in it (ontology/ and queries/ are optional: the packaged ones are used)")
    raise UsageError("no fkgraph home found: run inside a checkout or set FKGRAPH_HOME")


# ---- the paths of a home, for callers that hold only a home (or nothing) ----------------------

def home(explicit: "Settings | str | os.PathLike | None" = None) -> Path:
    return explicit.home if isinstance(explicit, Settings) else find_home(explicit)


def data_dir(explicit=None) -> Path:
    return home(explicit) / "data"


def ontology_file(explicit=None) -> Path:
    return part(home(explicit), "ontology") / "fk.ttl"


def shapes_file(explicit=None) -> Path:
    return part(home(explicit), "ontology") / "shapes.ttl"


def queries_dir(explicit=None) -> Path:
    return part(home(explicit), "queries")
