"""Check the files in `data/` against their JSON Schema (`data/schema/*.json`, draft 2020-12): the
rules an editor applies while the curator types, reported all at once, each at its YAML line.

The schema says what one file can say about itself: keys, types, vocabularies, patterns. Whether
a record points at another that exists (a parent trial, a network member, a source document) is
the record reader's check (`records.load`)."""
from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any, Iterator

from fkgraph.model.fields import EXAMPLES
from fkgraph.model.yamlio import RecordError, load_yaml

#: At most this many errors, over all files: enough to fix in one go, short enough to read.
LIMIT = 100
#: The schema of each file in `data/`; every file under `networks/` is a network file.
_SCHEMAS = {name: name.replace(".yaml", ".json") for name in (
    "statutes.yaml", "municipalities.yaml", "programmes.yaml", "sources.yaml", "outcomes.yaml",
    "release.yaml", "frikommune-i.yaml", "observations.yaml")}
_NETWORK = "network.json"
#: The files the record reader cannot do without.
_REQUIRED = ("sources.yaml", "programmes.yaml", "municipalities.yaml", "statutes.yaml")
_HERE = Path(__file__).resolve().parent
#: The schemas that come with fkgraph: the wheel's copy of data/, or the checkout's.
_PACKAGED = (_HERE.parent / "_share" / "data" / "schema", _HERE.parents[2] / "data" / "schema")
_TYPES = {"string": "text", "integer": "a whole number", "number": "a number", "boolean": "true or false",
          "array": "a list", "object": "a mapping (key: value)", "null": "empty"}


def check(data_dir: Path) -> list[RecordError]:
    """Every way the files in `data_dir` break their schema (the first LIMIT), in file and line
    order; each a RecordError with `field` (e.g. `trials[3].status`) and `rule` (e.g. `schema/enum`)."""
    root = Path(data_dir)
    if not root.is_dir():
        return [RecordError(root, None, "not a data directory; point --home at a folder with data/statutes.yaml", rule="schema/file")]
    try:
        validators = _validators(root)
    except RecordError as e:  # a schema that cannot be used: nothing can be checked against it
        return [e]
    errors = [RecordError(root / name, None, f"{name} is missing; data/ needs {', '.join(_REQUIRED)}", rule="schema/file")
              for name in _REQUIRED if not (root / name).is_file()]
    for path in sorted(root.rglob("*.y*ml")):
        if any(part.startswith(".") for part in path.relative_to(root).parts) or path.suffix not in (".yaml", ".yml"):
            continue
        name = _schema_name(root, path)
        if name is None:
            errors.append(_unknown_file(root, path))
        else:
            errors.extend(_check_file(path, validators[name]))
        if len(errors) >= LIMIT:
            break
    return errors[:LIMIT]


def check_file(data_dir: Path, name: str) -> list[RecordError]:
    """How one file of `data_dir` (e.g. `statutes.yaml`) breaks its schema: for a command that
    reads that file alone (`cite`) and must not trip over a wrong shape inside it."""
    root = Path(data_dir)
    try:
        return _check_file(root / name, _validators(root)[_SCHEMAS[name]])
    except RecordError as e:
        return [e]


def _schema_name(root: Path, path: Path) -> str | None:
    relative = path.relative_to(root).as_posix()
    if relative.startswith("networks/") and relative.count("/") == 1 and path.suffix == ".yaml":
        return _NETWORK
    return _SCHEMAS.get(relative)


def _unknown_file(root: Path, path: Path) -> RecordError:
    relative = path.relative_to(root).as_posix()
    known = [*_SCHEMAS, "networks/<name>.yaml"]
    close = difflib.get_close_matches(relative, [*_SCHEMAS, "networks/" + path.name.replace(".yml", ".yaml")], n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    return RecordError(path, None, f"no schema describes {relative}, so fkgraph would not read it; {hint}"
                       f"data/ holds {', '.join(known)}", rule="schema/file")


def _validators(root: Path) -> dict[str, Any]:
    """A validator per schema file: the packaged schemas, each replaced by the home's own copy in
    data/schema/ where it has one; `$ref`s resolve by `$id` among them, never over the network."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    contents: dict[str, dict] = {}
    packaged = next((p for p in _PACKAGED if p.is_dir()), None)
    own = root / "schema"
    if packaged and own.is_dir() and packaged.resolve() == own.resolve():
        packaged = None  # the checkout's own data/
    for folder in (packaged, own):
        for path in sorted(folder.glob("*.json")) if folder and folder.is_dir() else []:
            try:
                contents[path.name] = json.loads(path.read_text(encoding="utf-8"))
                if folder is own:  # the packaged schemas are checked by fkgraph's tests
                    Draft202012Validator.check_schema(contents[path.name])
            except (OSError, UnicodeDecodeError, json.JSONDecodeError, SchemaError) as e:
                what = f"is not a valid JSON Schema (draft 2020-12): {e.message}" if isinstance(e, SchemaError) else f"cannot be read ({e})"
                raise RecordError(path, getattr(e, "lineno", None), f"the schema {what}; fix it, or delete the file "
                                  "to use the schema that comes with fkgraph", rule="schema/schema") from None
    missing = sorted({*_SCHEMAS.values(), _NETWORK} - set(contents))
    if missing:
        raise RecordError(root / "schema", None, f"no JSON Schema {', '.join(missing)} in data/schema/ or in the "
                          "installed fkgraph; reinstall fkgraph or add the schema files", rule="schema/schema")
    registry = Registry().with_resources(
        (schema.get("$id", name), Resource.from_contents(schema, default_specification=DRAFT202012))
        for name, schema in contents.items())
    checker = Draft202012Validator.FORMAT_CHECKER
    return {name: Draft202012Validator(schema, registry=registry, format_checker=checker)
            for name, schema in contents.items()}


def _check_file(path: Path, validator) -> list[RecordError]:
    try:
        data = load_yaml(path)
    except RecordError as e:
        return [e]
    seen: set = set()
    found = [e for error in validator.iter_errors(data) for e in _explain(path, data, error, seen)]
    return sorted(found, key=lambda e: (e.line or 0, e.field or ""))


def _explain(path: Path, data: Any, error, seen: set) -> Iterator[RecordError]:
    """One schema error as RecordErrors at the YAML line of the key or value it is about."""
    keys = list(error.absolute_path)
    rule, schema, value = f"schema/{error.validator}", error.schema, error.instance
    told = schema.get("errorMessage") if isinstance(schema, dict) else None
    where = _dotted(keys) or path.name
    if error.validator == "additionalProperties":
        known = [str(k) for k in schema.get("properties", {})]
        for key in (k for k in value if str(k) not in known):
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"use one of: {', '.join(known)}"
            field = _dotted([*keys, key])
            yield RecordError(path, value.line_of(key), f"{where}: unknown key {key!r}; {hint}", field=field, rule=rule)
        return
    if error.validator == "required":
        key = next((k for k in error.validator_value if k not in value and (tuple(keys), k) not in seen), None)
        if key is None:
            return
        seen.add((tuple(keys), key))
        what = told or f"missing required field '{key}'; add it, e.g. {_example(schema, keys, key)}"
        yield RecordError(path, _line(data, keys), f"{where}: {what}", field=_dotted([*keys, key]), rule=rule)
        return
    line = _line(data, keys)
    if error.validator == "not" and "required" in schema["not"] and hasattr(value, "line_of"):
        line = value.line_of(schema["not"]["required"][-1])  # the key that made the combination
    yield RecordError(path, line, f"{where}: {_what(error, told)}", field=_dotted(keys) or None, rule=rule)


def _what(error, told: str | None) -> str:
    """What is wrong with the value and what would be valid."""
    kind, value, rule = error.validator, error.instance, error.validator_value
    shown = f"{value!r:.80}"
    if kind == "enum":
        return f"{shown} is not one of: {', '.join(map(str, rule))}"
    if kind == "type":
        wanted = " or ".join(_TYPES.get(t, t) for t in ([rule] if isinstance(rule, str) else rule))
        return f"{told or 'must be ' + wanted}, not {_TYPES.get(_type(value), _type(value))} {shown}"
    if kind == "pattern":
        return f"{shown} {error.schema.get('patternErrorMessage') or 'does not match ' + rule}"
    if kind == "format":
        return f"{shown} is not a real {rule}" + ("; write YYYY-MM-DD, e.g. 2017-07-01" if rule == "date" else "")
    if kind == "minimum" and not told:
        return f"{shown} must be a whole number from {rule}" + (", e.g. 1" if rule == 1 else "")
    if kind == "minItems":
        return f"lists nothing; give at least {rule} entr{'y' if rule == 1 else 'ies'}"
    if told:
        return f"{shown} {told}" if kind not in ("not", "anyOf", "oneOf") else told
    if kind in ("anyOf", "oneOf") and error.context:
        from jsonschema.exceptions import best_match

        return best_match(error.context).message
    return error.message


def _example(schema: dict, keys: list, key: str) -> str:
    """An example of a missing field: the record reader's, where the field is of the kind it knows."""
    field = schema.get("properties", {}).get(key, {})
    if key == "da" and keys and isinstance(keys[-1], str):
        return f'{keys[-1]}: {{da: "…", en: "…"}}'
    if field.get("type") == "string":
        return f'{key}: "…"'
    return EXAMPLES.get(key, f"{key}: …")


def _type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    return {str: "string", int: "integer", float: "number", type(None): "null"}.get(
        type(value), "array" if isinstance(value, list) else "object" if isinstance(value, dict) else type(value).__name__)


def _dotted(keys: list) -> str:
    """`trials[3].status` for the path ['trials', 3, 'status']."""
    out = ""
    for key in keys:
        out += f"[{key}]" if isinstance(key, int) else f".{key}" if out else str(key)
    return out


def _line(data: Any, keys: list) -> int:
    """The line of the key (or list item) at the end of `keys`; the nearest one above where the YAML
    reader kept none."""
    node, line = data, getattr(data, "line", 1)
    for key in keys:
        try:
            line, node = (node.line_of(key) if hasattr(node, "line_of") else line), node[key]
        except (KeyError, IndexError, TypeError):
            break
    return line


def known_keys() -> dict[str, frozenset]:
    """The keys each kind of record may have, by the schemas' definition names (trial, exemption,
    statute, …), read from the packaged schemas: the record reader refuses any other key, so a
    misspelt `exemptoins:` is an error, not silently dropped facts."""
    global _KNOWN
    if _KNOWN is None:
        found: dict[str, set] = {}
        folder = next((p for p in _PACKAGED if p.is_dir()), None)
        for path in sorted(folder.glob("*.json")) if folder else []:
            doc = json.loads(path.read_text(encoding="utf-8"))
            for name, sub in doc.get("$defs", {}).items():
                if isinstance(sub, dict) and "properties" in sub:
                    found.setdefault(name, set()).update(sub["properties"])
            if "properties" in doc:
                found.setdefault(path.stem, set()).update(doc["properties"])
        _KNOWN = {k: frozenset(v) for k, v in found.items()}
    return _KNOWN


_KNOWN: dict[str, frozenset] | None = None
