"""The release of the dataset: `data/release.yaml`, the one place that says which version this
is, when it was released and what period the data covers (read by publish, the site and dcat.ttl)."""
from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path

from fkgraph import config
from fkgraph.errors import DataError, UsageError


class ReleaseError(DataError):
    """`data/release.yaml` is missing or wrong."""


RELEASE_FILE = "release.yaml"
_RELEASE_KEYS = "version, issued, modified, coverage: {start, end}, status_as_of and statement: {da, en}"
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


@dataclass(frozen=True)
class Release:
    """The release of the dataset, as `data/release.yaml` states it: the one place that says
    which version this is, when it was released and what period the data covers."""

    version: str
    issued: str                  # YYYY-MM-DD: the first public release
    modified: str                # YYYY-MM-DD: this release
    start: str                   # YYYY-MM-DD: the period the data covers (dcterms:temporal)
    end: str
    status_as_of: str            # YYYY-MM-DD: the date the trials' statuses describe
    statement: dict[str, str]    # {"da": …, "en": …}: what the data covers, in plain words
    path: Path | None = None


def load_release(path: str | Path | None = None) -> Release:
    """Read the release metadata: `path` is `release.yaml` or the data folder that holds it
    (default: `data/` of the project home, see fkgraph.config).

    Raises ReleaseError naming the file (and the line, where there is one) and the key when a key
    is missing or a date is not YYYY-MM-DD."""
    path = Path(path) if path is not None else config.data_dir()
    if path.is_dir():
        path = path / RELEASE_FILE
    data, root = _read_yaml(path)

    def fail(keys: tuple[str, ...], message: str):
        line = _key_line(root, keys)
        raise ReleaseError(f"{path}{f':{line}' if line else ''}: {'.'.join(keys)}: {message}")

    def get(*keys: str):
        node = data
        for i, key in enumerate(keys):
            if not isinstance(node, dict):
                fail(keys[:i], f"must be a mapping with the key {key!r}")
            if node.get(key) in (None, ""):
                fail(keys[:i + 1], f"missing; {RELEASE_FILE} must give {_RELEASE_KEYS}")
            node = node[key]
        return node

    def date(*keys: str) -> str:
        value = get(*keys)
        if isinstance(value, str) and _DATE.match(value):
            with contextlib.suppress(ValueError):
                return _dt.date.fromisoformat(value).isoformat()
        fail(keys, f"{value!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-12-04")

    if not isinstance(data, dict):
        raise ReleaseError(f"{path}: must be a YAML mapping giving {_RELEASE_KEYS}")
    version = get("version")
    if not isinstance(version, str) or not re.match(r"^[0-9A-Za-z][0-9A-Za-z.+-]*$", version):
        fail(("version",), f"{version!r} is not a version; write it as a quoted string, e.g. \"0.2.0\"")
    statement = {}
    for lang in ("da", "en"):
        said = get("statement", lang)
        if not isinstance(said, str):
            fail(("statement", lang), "must be text: what the data covers, in plain words")
        statement[lang] = " ".join(said.split())
    release = Release(version, date("issued"), date("modified"), date("coverage", "start"), date("coverage", "end"),
                      date("status_as_of"), statement, path)
    if release.modified < release.issued:
        fail(("modified",), f"{release.modified} is before issued {release.issued}; a release cannot predate the first one")
    if release.end < release.start:
        fail(("coverage", "end"), f"{release.end} is before coverage.start {release.start}")
    return release


def _read_yaml(path: Path):
    """(the mapping, its YAML node tree, for line numbers); dates stay text, so that "2026-13-04"
    or "2026-1-4" is refused by key in `load_release`, not by the YAML library."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
        return yaml.load(text, Loader=_plain_dates()), yaml.compose(text, Loader=_plain_dates())
    except OSError as e:
        raise ReleaseError(f"{path}: cannot read the release metadata ({e.strerror or e}); "
                           f"the data folder needs a {RELEASE_FILE} giving {_RELEASE_KEYS}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise ReleaseError(f"{where}: broken YAML ({getattr(e, 'problem', None) or e}); "
                           f"{RELEASE_FILE} must be a mapping giving {_RELEASE_KEYS}") from None


@functools.cache
def _plain_dates():
    """yaml.SafeLoader with dates left as text (made on first use: yaml is imported only here)."""
    import yaml

    class PlainDates(yaml.SafeLoader):
        pass
    PlainDates.yaml_implicit_resolvers = {
        k: [(tag, regexp) for tag, regexp in v if tag != "tag:yaml.org,2002:timestamp"]
        for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
    return PlainDates


def _key_line(node, keys: tuple[str, ...]) -> int | None:
    """The 1-based line of the deepest of `keys` (a path of mapping keys) found in the YAML node."""
    line = None
    for key in keys:
        if not hasattr(node, "value") or not isinstance(node.value, list):
            break
        match = next((pair for pair in node.value if isinstance(pair, tuple) and getattr(pair[0], "value", None) == key), None)
        if match is None:
            break
        line, node = match[0].start_mark.line + 1, match[1]
    return line


def source_date_epoch() -> str | None:
    """$SOURCE_DATE_EPOCH as a date (reproducible builds), or None when it is not set (or empty).
    Anything but whole seconds from 1970 to the year 9999 is a UsageError, never ignored."""
    text = os.environ.get("SOURCE_DATE_EPOCH", "")
    if not text:
        return None
    seconds = int(text) if re.fullmatch(r"[0-9]{1,12}", text.strip()) else -1
    if not 0 <= seconds <= _LAST_SECOND:
        raise UsageError(f"SOURCE_DATE_EPOCH={text[:40]!r}: give whole seconds since 1970-01-01 UTC, "
                         f"from 0 to {_LAST_SECOND} (the end of 9999), e.g. 1700000000")
    return _dt.datetime.fromtimestamp(seconds, _dt.timezone.utc).date().isoformat()


_LAST_SECOND = 253402300799
