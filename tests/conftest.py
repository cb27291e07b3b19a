"""Shared fixtures: the real data built once per session, and disposable copies of the home."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

import fkgraph
from fkgraph import api

ROOT = Path(__file__).resolve().parents[1]

#: The only two things the suite may read from outside the checkout, each behind one variable:
#: the source documents' texts (to check that every quoted line says what the data says) and the
#: official DCAT-AP shapes. A fresh clone has neither; the tests that need them skip, and under
#: FKGRAPH_STRICT=1 (set by .ci/run) a skip of this kind is a failure.
EXTERNAL = {
    "FKGRAPH_SOURCES": (ROOT.parent / "shared" / "seeds", "the source documents' texts (000_….txt … 004_….txt)"),
    "FKGRAPH_CHECKS": (ROOT.parent / "shared" / "checks", "the official DCAT-AP shapes (dcat-ap/3.0.1/…)"),
}


def external(variable: str) -> Path:
    """The folder `variable` names (default: beside the checkout); skip, or fail in CI, without it."""
    default, what = EXTERNAL[variable]
    path = Path(os.environ[variable]) if os.environ.get(variable) else default
    if path.is_dir():
        return path
    why = (f"needs {what}: {variable}={path} is not a folder" if os.environ.get(variable) else
           f"needs {what}: set {variable} to their folder (the default, {default}, does not exist)")
    missing(why)


def strict() -> bool:
    """Whether a test that lacks a tool or folder must fail rather than skip (`.ci/run` sets it;
    a forge's own CI, which has no shared folder, does not)."""
    return os.environ.get("FKGRAPH_STRICT") == "1"


def missing(why: str):
    """Skip for want of `why`; under FKGRAPH_STRICT=1, fail."""
    if strict():
        pytest.fail(f"FKGRAPH_STRICT=1: CI must run this test: {why}")
    pytest.skip(why)


def source_texts() -> dict[str, Path]:
    """Source id → its text file, as data/sources.yaml names it."""
    import yaml

    folder = external("FKGRAPH_SOURCES")
    docs = yaml.safe_load((ROOT / "data" / "sources.yaml").read_text(encoding="utf-8"))
    return {str(d["id"]): folder / d["file"] for d in docs}

settings.register_profile("ci", max_examples=300, deadline=None)
settings.register_profile("nightly", max_examples=10_000, deadline=None)
settings.load_profile(os.environ.get("FKGRAPH_HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory):
    """Every build of the session caches into a temporary folder, never the user's ~/.cache/fkgraph
    (a test that sets FKGRAPH_CACHE itself still wins for its own call)."""
    old = os.environ.get("FKGRAPH_CACHE")
    os.environ["FKGRAPH_CACHE"] = str(tmp_path_factory.mktemp("fkgraph-cache"))
    yield
    if old is None:
        os.environ.pop("FKGRAPH_CACHE", None)
    else:
        os.environ["FKGRAPH_CACHE"] = old


@pytest.fixture(scope="session")
def built():
    """The graph built from the real data in data/."""
    return api.build(ROOT)


@pytest.fixture()
def home(tmp_path) -> Path:
    """A writable copy of data/, ontology/ and queries/ (mutate it freely)."""
    dst = tmp_path / "home"
    for sub in ("data", "ontology", "queries"):
        shutil.copytree(ROOT / sub, dst / sub)
    return dst


def seed_lines(doc: str, start: int, end: int) -> str:
    """The text of a source document's lines (1-based, inclusive), for tests that quote their source."""
    lines = source_texts()[doc].read_text(encoding="utf-8").split("\n")
    return "\n".join(lines[start - 1:end])
