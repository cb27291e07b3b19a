"""Start-up: a query from the shell imports only what a query needs (issue 10's ≤ 0.3 s target
is measured by benchmarks/run.py, never timed here), and the lazily imported modules do not
replace the API functions of the same name."""
import json
import subprocess
import sys

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
                   "fkgraph.model.records", "fkgraph.model.citations", "fkgraph.rdf.serialize", "fkgraph.shacl.validate",
                   "fkgraph.scale.engine", "fkgraph.publish.website", "fkgraph.publish.ontodocs", "fkgraph.sparql.remote"]


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
    assert {"fkgraph.sparql.queries", "fkgraph.rdf.graph", "pyoxigraph"} <= loaded


def test_api_functions_survive_their_modules_being_imported(tmp_path):
    built = fkgraph.build()
    for _ in range(2):  # the first call imports fkgraph.rdf.serialize, .validate, .docs: the names stay functions
        assert fkgraph.validate(built).conforms
        assert fkgraph.export(built, tmp_path / "g.nt").stat().st_size > 0
        assert fkgraph.docs(tmp_path / "docs").warnings == [] and (tmp_path / "docs" / "index.html").is_file()
    from fkgraph.rdf.serialize import atomic_write  # the modules themselves, by full name
    assert callable(fkgraph.export) and callable(fkgraph.validate) and callable(fkgraph.docs)
    assert sys.modules["fkgraph.rdf.serialize"].atomic_write is atomic_write
