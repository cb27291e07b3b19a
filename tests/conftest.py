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
SEEDS = ROOT.parent / "shared" / "seeds"

settings.register_profile("ci", max_examples=300, deadline=None)
settings.register_profile("nightly", max_examples=10_000, deadline=None)
settings.load_profile(os.environ.get("FKGRAPH_HYPOTHESIS_PROFILE", "ci"))


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
    """The text of a seed's lines (1-based, inclusive), for tests that quote their source."""
    name = {"000": "000_e56ea86ae0dd4e01.txt", "001": "001_6d810e28710eca4a.txt", "002": "002_8dd2f8feebaaa341.txt",
            "003": "003_bf9fea1216a5d342.txt", "004": "004_bdfafe35ff4b26dc.txt"}[doc]
    lines = (SEEDS / name).read_text(encoding="utf-8").split("\n")
    return "\n".join(lines[start - 1:end])
