"""Start-up: a query from the shell imports only what a query needs (issue 10's ≤ 0.3 s target
is measured by benchmarks/run.py, never timed here), and the lazily imported modules do not
replace the API functions of the same name."""
import json
import subprocess
import importlib
import sys
from pathlib import Path

import fkgraph

PROBE = """
import json, sys
from fkgraph.cli import cli
try:
    cli.main(["query", "most-exempted-statutes", "-f", "csv"], prog_name="fkgraph", standalone_mode=False)
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""

NOT_FOR_A_QUERY = ["rdflib", "pyshacl", "shacl", "jinja2", "SPARQLWrapper", "requests", "multiprocessing",
                   "fkgraph.model.records", "fkgraph.model.citations", "fkgraph.rdf.serialize", "fkgraph.shacl.engine", "fkgraph.shacl.report",
                   "fkgraph.scale.engine", "fkgraph.publishing.website", "fkgraph.publishing.ontodocs", "fkgraph.sparql.remote"]


def _modules_of_a_query(env) -> tuple[str, set[str]]:
    run = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, check=True)
    return run.stdout, set(json.loads(run.stderr.strip().splitlines()[-1]))


def test_a_cached_query_imports_no_reader_grammar_exporter_or_validator(tmp_path, monkeypatch):
    import os

    env = dict(os.environ, FKGRAPH_CACHE=str(tmp_path))
    first, _ = _modules_of_a_query(env)           # builds from the YAML and fills the cache
    assert list(tmp_path.glob("build-*.nt")), "the first query should have cached its build"
    second, loaded = _modules_of_a_query(env)     # loads the cache
    assert second == first and second.startswith("statute,") and second.count("\n") > 5
    assert sorted(m for m in NOT_FOR_A_QUERY if m in loaded) == []
    assert {"fkgraph.sparql.results", "fkgraph.rdf.store", "pyoxigraph"} <= loaded


def test_api_functions_survive_their_modules_being_imported(tmp_path):
    built = fkgraph.build()
    for _ in range(2):  # the first call imports fkgraph.rdf.serialize, .validate, .docs: the names stay functions
        assert fkgraph.validate(built).conforms
        assert fkgraph.export(built, tmp_path / "g.nt").stat().st_size > 0
        assert fkgraph.docs(tmp_path / "docs").warnings == [] and (tmp_path / "docs" / "index.html").is_file()
    from fkgraph.rdf.serialize import cbd  # the modules themselves, by full name
    assert callable(fkgraph.export) and callable(fkgraph.validate) and callable(fkgraph.docs)
    assert sys.modules["fkgraph.rdf.serialize"].cbd is cbd


def test_no_module_or_subpackage_shadows_an_api_function():
    """Python binds an imported submodule to its package's attribute of the same name, so a
    module named like an API function (`fkgraph.publish`) would replace the function."""
    import pkgutil

    names = {m.name for m in pkgutil.iter_modules(fkgraph.__path__)}
    assert not names & set(fkgraph.__all__), names & set(fkgraph.__all__)
    importlib.import_module("fkgraph.publishing.catalog")
    assert all(callable(getattr(fkgraph, n)) for n in fkgraph.__all__ if n != "BuildError")


def test_imports_point_down_the_data_flow():
    """A module imports only modules before it: errors, config, fsio, model, rdf, shacl, sparql,
    publishing, then the optional scale; api and cli may import anything."""
    import ast

    order = ["errors", "config", "fsio", "model", "rdf", "shacl", "sparql", "publishing", "scale"]
    src = Path(fkgraph.__file__).parent
    bad = []
    for path in sorted(src.rglob("*.py")):
        me = path.stem if path.parent == src else path.relative_to(src).parts[0]
        if me not in order:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("fkgraph."):
                target = node.module.split(".")[1]
            elif isinstance(node, ast.ImportFrom) and node.module == "fkgraph":
                target = node.names[0].name
            else:
                continue
            if target in order and order.index(target) > order.index(me):
                bad.append(f"{path.relative_to(src)}:{node.lineno} {me} imports {target}")
    assert not bad, bad
