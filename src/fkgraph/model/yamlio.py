"""Read one YAML records file safely: a plain-values loader that remembers every key's line,
with size and nesting checked before parsing, and every failure a RecordError at file:line."""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

import yaml

from fkgraph.errors import DataError
from fkgraph.fsio import InputError, check_regular, read_regular

MAX_BYTES = 20 * 1024 * 1024
#: Deeper than any record (a trial's exemption's source is 5 levels); checked before libyaml's
#: composer, which recurses in C and would crash the interpreter on 100,000 nested brackets.
MAX_DEPTH = 32
#: A message quotes at most this many characters of what it complains about.
MAX_MESSAGE = 600


class RecordError(DataError):
    """A source record is wrong. Carries the place (file, line) and what would be valid; `field`
    (a dotted path such as `trials[3].status`) and `rule` (such as `schema/enum`) where known."""

    def __init__(self, file: str | Path, line: int | None, message: str, *,
                 field: str | None = None, rule: str | None = None):
        # Always one line, and bounded: a value quoted in the message may hold a newline, a
        # control character or megabytes.
        message = _one_line(message)
        if len(message) > MAX_MESSAGE:  # keep the end too: it says what would be valid
            half = MAX_MESSAGE // 2
            message = f"{message[:half]} … ({len(message) - 2 * half} characters left out) … {message[-half:]}"
        self.file, self.line, self.message = _one_line(str(file)), line, message
        self.field, self.rule = field, rule
        super().__init__(f"{self.file}:{line or 1}: {self.message}")


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _one_line(text: str) -> str:
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


class Record(dict):
    """A YAML mapping that remembers its file and line, and the line of each key."""

    file: str = "?"
    line: int = 1
    key_lines: dict

    def line_of(self, key: str) -> int:
        return getattr(self, "key_lines", {}).get(key, self.line)

    def error(self, message: str, key: str | None = None) -> RecordError:
        return RecordError(self.file, self.line_of(key) if key else self.line, message)


class Items(list):
    """A YAML sequence that remembers its line and the line of each item."""

    line: int = 1
    item_lines: list

    def line_of(self, index: int) -> int:
        lines = getattr(self, "item_lines", [])
        return lines[index] if 0 <= index < len(lines) else self.line


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's scanner, where installed, is faster
    """Safe loader (no tags execute) that keeps line numbers and leaves dates as text."""


# YAML 1.2's core schema, not PyYAML's YAML 1.1: `0100` is not octal 64, `1:00` not 60, `on`/`no`
# not booleans. A number with a leading zero, a sexagesimal or an underscore stays text, so a field
# that needs a number refuses it instead of reading another value. Dates stay text too.
_CORE = [
    ("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), "tTfF"),
    ("tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), "-+0123456789"),
    ("tag:yaml.org,2002:float", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)\.[0-9]+(?:[eE][-+]?[0-9]+)?$"), "-+0123456789"),
    ("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]),
]
_Loader.yaml_implicit_resolvers = {}
for _tag, _rx, _first in _CORE:
    _Loader.add_implicit_resolver(_tag, _rx, list(_first))
#: Control characters a YAML escape ("\0", "\u0001", "\e") can put into a value; tab and newline are text.
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")


def _construct_text(loader: _Loader, node: yaml.ScalarNode) -> str:
    """Text as typed, in Unicode NFC (so what is typed decomposed finds what is stored composed);
    control characters are refused, never passed on to the graph, a CSV or a terminal."""
    value = loader.construct_scalar(node)
    bad = _FORBIDDEN.search(value)
    if bad:
        raise RecordError(loader.name, node.start_mark.line + 1, f"control character {bad.group()!r} in text "
                          f"(at character {bad.start() + 1}); remove it: records must hold printable text, tabs and newlines only")
    return unicodedata.normalize("NFC", value)


def _construct_number(loader: _Loader, node: yaml.ScalarNode) -> int | float | bool:
    """An explicitly tagged number or boolean (`!!float .nan`, `!!int 0x1F`, `!!bool maybe`) is read
    as the core schema reads an untagged one, or refused at its line: never another value."""
    value = loader.construct_scalar(node)
    for tag, rx, _ in _CORE:
        if tag == node.tag and rx.match(value):
            return {"tag:yaml.org,2002:bool": lambda v: v.lower() == "true",
                    "tag:yaml.org,2002:int": int, "tag:yaml.org,2002:float": float}[tag](value)
    kind = node.tag.rsplit(":", 1)[-1]
    raise RecordError(loader.name, node.start_mark.line + 1, f"{value[:40]!r} is not a plain {kind}; write a "
                      "decimal number such as 12 or 1.5, or true or false, without a tag")


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> Record:
    loader.flatten_mapping(node)
    rec = Record()
    rec.file, rec.line, rec.key_lines = loader.name, node.start_mark.line + 1, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) or key is None:
            raise RecordError(loader.name, key_node.start_mark.line + 1, "mapping keys must be plain text; write key: value with a name such as id or source")
        if key in rec:
            raise RecordError(loader.name, key_node.start_mark.line + 1, f"key {key!r} appears twice in one mapping; keep one")
        rec[key] = loader.construct_object(value_node, deep=True)
        rec.key_lines[key] = key_node.start_mark.line + 1
    return rec


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> Items:
    items = Items(loader.construct_object(child, deep=True) for child in node.value)
    items.line, items.item_lines = node.start_mark.line + 1, [child.start_mark.line + 1 for child in node.value]
    return items


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:str", _construct_text)
for _tag in ("int", "float", "bool"):
    _Loader.add_constructor(f"tag:yaml.org,2002:{_tag}", _construct_number)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
# no record holds a set (nor could one be an id): `!!set` is refused like any other tag
# nor a timestamp, binary, ordered map or pairs: only plain text, numbers, booleans, lists and mappings
_PLAIN = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "seq", "map")}
_Loader.yaml_constructors = {t: c for t, c in _Loader.yaml_constructors.items() if t is None or t in _PLAIN}


def _check_depth(text: str, path: Path) -> None:
    """Refuse nesting deeper than MAX_DEPTH, reading libyaml's events (a flat loop, no recursion)."""
    from yaml._yaml import CParser

    starts = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
    ends = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    parser, depth = CParser(text), 0
    try:
        while (event := parser.get_event()) is not None:
            if isinstance(event, yaml.AliasEvent):  # each alias may repeat a whole tree: refuse them all
                raise RecordError(path, event.start_mark.line + 1, f"YAML alias *{str(event.anchor)[:40]}: records "
                                  "do not use anchors and aliases (one can expand a few lines into gigabytes); "
                                  "write the value out")
            if isinstance(event, starts):
                depth += 1
                if depth > MAX_DEPTH:
                    raise RecordError(path, event.start_mark.line + 1, f"YAML nested more than {MAX_DEPTH} levels "
                                      "deep; records are at most a few levels deep")
            elif isinstance(event, ends):
                depth -= 1
    except yaml.YAMLError as e:
        # the libyaml in PyYAML 6.0.4's wheels stops at a depth limit of its own (2,000 flow levels fail),
        # which it can reach while scanning ahead, before the events above are deep enough
        if "maximum nesting depth" in str(e):
            mark = getattr(e, "problem_mark", None)
            raise RecordError(path, mark.line + 1 if mark else None, f"YAML nested more than {MAX_DEPTH} levels "
                              "deep; records are at most a few levels deep") from None
        # anything else: the real load below reports it with its place
    finally:
        parser.dispose()


def load_yaml(path: Path) -> Any:
    """Parse one YAML file safely; any failure becomes a RecordError naming file and line.

    Safe: no tag constructs anything but plain values (`!!python/...` is refused, never run);
    files over MAX_BYTES and nesting over MAX_DEPTH are refused before parsing."""
    try:
        info = check_regular(path, 1 << 62)  # follows a symlink: what counts is what would be read
        if info.st_size > MAX_BYTES:
            raise RecordError(path, None, f"file is {info.st_size} bytes; source records must be under {MAX_BYTES} "
                              "bytes (split the file)")
        raw = read_regular(path, MAX_BYTES)
    except InputError as e:  # not a regular file, or grown past the bound while being read
        raise RecordError(path, None, str(e).removeprefix(f"{path}: ")) from None
    except OSError as e:
        raise RecordError(path, None, f"cannot read file ({e.strerror}); check that it exists and is readable") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise RecordError(path, line, f"bytes at offset {e.start} are not UTF-8; save the file as UTF-8") from None
    if hasattr(yaml, "CSafeLoader"):
        _check_depth(text, path)
    loader = _Loader(text)
    loader.name = str(path)
    try:
        return loader.get_single_data()
    except RecordError:
        raise
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        what = " ".join((e.problem or e.context or "invalid YAML").split())
        if "could not determine a constructor" in str(e):
            what = f"YAML tags such as {str(e).split('tag ')[-1].split()[0]} are not allowed; write plain values"
        else:
            if e.context and e.context_mark and e.problem_mark and e.context_mark.line != e.problem_mark.line:
                # An unclosed quote or bracket: point at where it opens, say where it broke.
                what = f"{what} at line {e.problem_mark.line + 1}, {' '.join(e.context.split())} that starts here"
                mark = e.context_mark
            what += "; check the quotes, brackets, colons and indentation here"
        raise RecordError(path, mark.line + 1 if mark else None, f"broken YAML: {what}") from None
    except yaml.reader.ReaderError as e:
        line = text[: e.position].count("\n") + 1 if isinstance(e.position, int) else None
        char = e.character if isinstance(e.character, str) else chr(e.character)
        raise RecordError(path, line, f"broken YAML: character U+{ord(char):04X} is not allowed in YAML "
                          "(a control or non-printable character); delete it or write it as an escape in a double-quoted string") from None
    except yaml.YAMLError as e:
        raise RecordError(path, None, f"broken YAML: {' '.join(str(e).split())}") from None
    except RecursionError:
        raise RecordError(path, None, f"YAML nested more than {MAX_DEPTH} levels deep; records are at most a few levels deep") from None
    finally:
        loader.dispose()
