"""The README's console examples are real: each `$ fkgraph …` shows the first lines of what the
command prints today, as a pipe sees it (csv), from the data in this checkout."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from fkgraph.cli import cli

ROOT = Path(__file__).resolve().parents[1]
ELIDED = "…"


def console_examples(text: str) -> list[tuple[int, str, list[str]]]:
    """(line number, command, shown output) for every `$ fkgraph` line in a ```console block."""
    examples, command, shown = [], None, []
    in_block = False
    for number, line in enumerate(text.split("\n"), 1):
        if not in_block:
            in_block = line.strip() == "```console"
            continue
        if line.strip() == "```" or line.startswith("$ "):
            if command is not None:
                examples.append((start, command, shown))
            command, shown = None, []
            in_block = line.strip() != "```"
            if line.startswith("$ "):
                start, command = number, line[2:]
            continue
        if command is not None:
            shown.append(line)
    return examples


EXAMPLES = console_examples((ROOT / "README.md").read_text(encoding="utf-8"))


def test_the_readme_has_console_examples():
    assert len(EXAMPLES) >= 10
    assert all(c.startswith("fkgraph ") for _, c, _ in EXAMPLES), "a console example runs something other than fkgraph"


@pytest.mark.parametrize("line, command, shown", EXAMPLES, ids=[re.sub(r"\s+", " ", c) for _, c, _ in EXAMPLES])
def test_console_example_shows_the_real_output(line, command, shown):
    """A trailing `…` marks elided rows: the lines above it are the output's first lines;
    without it, they are the whole output."""
    elided = bool(shown) and shown[-1] == ELIDED
    expected = shown[:-1] if elided else shown
    result = CliRunner().invoke(cli, shlex.split(command)[1:], env={"FKGRAPH_HOME": str(ROOT)})
    assert result.exit_code == 0, f"README.md:{line}: {command}\n{result.output}"
    real = result.stdout.rstrip("\n").split("\n")
    if elided:
        assert len(real) > len(expected), f"README.md:{line}: {command} prints no more rows than shown; drop the …"
        real = real[:len(expected)]
    assert expected == real, f"README.md:{line}: {command} prints other lines than the README shows"


def _section(title: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end > 0 else None]


def test_python_names_in_the_readme_exist():
    """Every dotted `fkgraph.…` name the README writes imports and resolves (file names aside)."""
    import importlib

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    names = {n for n in re.findall(r"(?<![\w/.-])(fkgraph(?:\.[a-z_]\w*)+)", text)
             if n.rsplit(".", 1)[1] not in ("ttl", "nt", "jsonld", "gz", "json", "cff")}
    assert names
    for name in sorted(names):
        parts = name.split(".")
        for cut in range(len(parts), 0, -1):
            try:
                obj = importlib.import_module(".".join(parts[:cut]))
            except ImportError:
                continue
            for attr in parts[cut:]:
                assert hasattr(obj, attr), f"README.md names {name}, but {obj.__name__} has no {attr}"
                obj = getattr(obj, attr)
            break


def test_the_architecture_table_names_every_module_and_no_other():
    """A row per top-level module (`errors.py`) or subpackage (`rdf/`), whose modules are written `name.py`."""
    src = ROOT / "src" / "fkgraph"
    named = set()
    for row in re.findall(r"^\| `(\w+(?:\.py|/))` \|(.*)$", _section("Architecture"), re.M):
        first, rest = row
        if first.endswith("/"):
            named |= {f"{first}{m}.py" for m in re.findall(r"`(\w+)\.py`", rest)}
        else:
            named.add(first)
    real = {p.relative_to(src).as_posix() for p in src.rglob("*.py")
            if p.name not in ("__init__.py", "__main__.py") and "__pycache__" not in p.parts}
    assert named == real, f"missing from README: {sorted(real - named)}; gone: {sorted(named - real)}"
