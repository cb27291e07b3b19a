"""Full-text search over the static site with Pagefind: at `fkgraph site` time Pagefind indexes
every page's main content (`<main data-pagefind-body>`) into static files under `pagefind/`, and
`search.html` searches them in the browser, with no server behind it. Pagefind is optional
(`pip install 'fkgraph[site]'`); without it the site has no search page and says so.

The pages are Danish with English beside the Danish, so the index is one Danish index (Pagefind
splits indexes by `<html lang>`; one index means a search finds a page whichever language the
words are in, and the English ontology documentation too)."""
from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from fkgraph.errors import DataError

FOLDER = "pagefind"
PAGE = "search.html"
LANGUAGE = "da"
INSTALL = "pip install 'fkgraph[site]'"


class SearchError(DataError):
    """Pagefind is installed but could not index the site."""


@dataclass(frozen=True)
class SearchIndex:
    folder: Path
    pages: int          # pages in the index


def executable() -> Path | None:
    """Pagefind's binary, from the `pagefind[extended]` or `pagefind[bin]` wheel (or PATH); None without it."""
    try:
        from pagefind.service import get_executable
    except ImportError:
        return None
    exe = get_executable()
    return exe if exe and Path(exe).is_file() else None


def available() -> bool:
    return executable() is not None


def index(site: str | Path, timeout: float = 300) -> SearchIndex:
    """Index every HTML page of the folder `site` into `site/pagefind/`."""
    exe = executable()
    if exe is None:
        raise SearchError(f"Pagefind is not installed; {INSTALL}")
    site = Path(site)
    cmd = [str(exe), "--site", str(site), "--output-subdir", FOLDER, "--force-language", LANGUAGE, "--quiet"]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise SearchError(f"{exe}: could not index {site} ({e})") from None
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no message"]
        raise SearchError(f"{exe}: indexing {site} failed (exit {done.returncode}): {last[0]}")
    entry = json.loads((site / FOLDER / "pagefind-entry.json").read_text(encoding="utf-8"))
    lang = entry.get("languages", {}).get(LANGUAGE, {})
    return SearchIndex(site / FOLDER, int(lang.get("page_count", 0)))
