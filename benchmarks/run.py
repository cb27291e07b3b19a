"""fkgraph against rdflib + pyshacl defaults, on the same synthetic data, at 1k, 10k and 100k trials.

    python benchmarks/run.py                           # 1k, 10k, 100k (15-30 minutes on 2 cores)
    python benchmarks/run.py --trials 1000 10000       # choose the sizes
    python benchmarks/run.py --trials 1000 --smoke     # CI: small caps, no timing assertions

For each size, the parent writes the synthetic graph once (fkgraph.scale.synth, seeded, with `--inject`
violations of each kind) as N-Triples, then runs each side in its own subprocess, one after the
other, so that peak RSS (resource.getrusage) belongs to one side only:

- fkgraph, load path: load the same N-Triples file into pyoxigraph (fkgraph.rdf.store.load, what
  every command does from the build cache), validate with the fast engine (fkgraph.scale.engine),
  every stored query in queries/*.rq through fkgraph.sparql.results, Turtle export through
  fkgraph.rdf.serialize (written atomically to a temporary file).
- fkgraph, build path, in a process of its own: mapping.build from the synthetic records (the path
  a first `fkgraph build` takes), validate, Turtle export. fkgraph's peak RSS is the higher of
  the two paths'.
- baseline: rdflib parses the same N-Triples text, pyshacl.validate with its defaults (shapes and
  ontology given, nothing else), the same bound query text through rdflib Graph.query, rdflib
  serialize(format="turtle"). Each step is capped (queries by --timeout, pyshacl by
  --validate-timeout, the Turtle export by --export-timeout; SIGALRM in the side's own process)
  and then reported as "> T s", which makes a ratio a lower bound.

Rows added from these: load + validate on both sides, and fkgraph's build + validate set against
the baseline's load + validate (rdflib has no records to build from). At the end the issue-10
targets are checked on the largest size and printed as met or MISSED with their figures.

Parity: the fast engine's results are compared with pyshacl's by (focus node, path, component,
source shape): on the full graph when the baseline's validation finished inside its cap, and
always on a small graph (--parity-trials) from the same generator, through fkgraph.shacl.engine with
both engines; the injected violations must all be reported. When pyshacl's defaults hit their cap,
an untimed pyshacl run with each SPARQL text parsed once stands in for them (--parity-timeout);
`--parity-of RESULTS.json` runs just that afterwards, on the same seeded graph, for the sizes of a
results file that have no parity yet (or no full-size check that every injected violation is
reported), and writes it into the file.

Also measured: `fkgraph query most-exempted-statutes` from the shell on the real data (best of 5,
wall) and import times. Results: a table on stdout, JSON in benchmarks/results/.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHAPES = ROOT / "ontology" / "shapes.ttl"
ONTOLOGY = ROOT / "ontology" / "fk.ttl"
QUERIES = ROOT / "queries"
BASE = "https://w3id.org/fkgraph/"
# Values for required parameters without a default (both exist in every synthetic graph: the
# first municipality, and the most exempted paragraph of the most exempted statute).
EXAMPLE_VALUES = {"municipality": BASE + "id/municipality/0001", "provision": BASE + "id/statute/s0/p1"}


# ---- helpers -----------------------------------------------------------------------------------

class StepTimeout(BaseException):
    """A BaseException, so that no `except Exception` inside rdflib or pyshacl can swallow it."""


def _alarm(signum, frame):
    raise StepTimeout()


def timed(fn, timeout: float | None = None):
    """(seconds, result) or (None, None) when `timeout` passed first.

    Every step runs in its side's own process, as it would in a user's: a forked worker doubled
    pyoxigraph's query times at 100k trials (its allocations copy the parent's heap pages on
    write) and slowed rdflib's likewise. The alarm repeats every 0.2 s after the deadline:
    rdflib's expression evaluation has a bare `except:` that swallows the first one when it
    lands there. A native pyoxigraph query cannot be interrupted: one that outlives its cap
    finishes and is then reported as capped."""
    if not timeout:
        t0 = time.perf_counter()
        out = fn()
        return time.perf_counter() - t0, out
    signal.signal(signal.SIGALRM, _alarm)
    t0 = time.perf_counter()
    try:
        try:
            signal.setitimer(signal.ITIMER_REAL, timeout, 0.2)
            out = fn()
            elapsed = time.perf_counter() - t0
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        return elapsed, out
    except StepTimeout:
        return None, None


class cached_sparql_parses:
    """pyshacl, with each SPARQL query text parsed once, for parity at full size only.

    pyshacl runs a SHACL-SPARQL constraint once per focus node, as `Graph.query(text,
    initBindings={"this": node})` with the same text each time, and rdflib parses and
    translates the text again on every call: about 30 ms, so 14 constraints over 100k trials are
    hours of parsing. Inside this block rdflib's SPARQL processor keeps the algebra of each text
    it has translated and evaluates that, the way a prepared query (rdflib's prepareQuery) is
    meant to be reused with other initBindings. Validation is pyshacl's, unchanged; the timed
    baseline step never runs inside this."""

    def __enter__(self):
        from rdflib.plugins.sparql import processor

        self.cls, self.original, memo = processor.SPARQLProcessor, processor.SPARQLProcessor.query, {}
        original = self.original

        def query(proc, strOrQuery, initBindings=None, initNs=None, base=None, DEBUG=False):
            if isinstance(strOrQuery, str):
                key = (strOrQuery, base, tuple(sorted((initNs or {}).items())))
                if key not in memo:
                    memo[key] = processor.translateQuery(processor.parseQuery(strOrQuery), base, initNs)
                strOrQuery = memo[key]
            return original(proc, strOrQuery, initBindings or {}, initNs, base, DEBUG)

        self.cls.query = query
        return self

    def __exit__(self, *exc):
        self.cls.query = self.original
        return False


class plain_iri_messages:
    """pyshacl, with IRIs in its result messages written in full (<...>), for parity at full size only.

    To word a message, pyshacl writes each node as N3 through rdflib's NamespaceManager, which
    files every new namespace (an IRI up to its last / or #) in a trie whose levels it scans in
    full on each insert: quadratic in the number of distinct namespaces. A trial's exemption IRIs
    each have a namespace of their own, and pyshacl words a message for every alternative of an
    `sh:or` that does not hold, so at 100k trials this took over an hour of the reference run
    (seen with py-spy). Inside this block an IRI is written as `<IRI>` without the lookup: what the
    N3 form is when no prefix is bound, the same IRI either way. Messages are not compared (results
    are keyed by focus node, path, component and source shape); the timed baseline step never runs
    inside this."""

    def __enter__(self):
        from rdflib.namespace import NamespaceManager
        from rdflib.term import Variable

        self.cls, self.original = NamespaceManager, NamespaceManager.normalizeUri
        self.cls.normalizeUri = lambda nm, term: f"?{term}" if isinstance(term, Variable) else f"<{term}>"
        return self

    def __exit__(self, *exc):
        self.cls.normalizeUri = self.original
        return False


def peak_rss_kb() -> int:
    # KB on Linux (the sides run no children now; kept so that a worker would be counted)
    return max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)


def stored_queries():
    """(name, bound query text, values) for every stored query, in name order."""
    from fkgraph.sparql.binding import bindings, bound_text
    from fkgraph.sparql.catalogue import catalogue

    out = []
    for name, q in sorted(catalogue(QUERIES).items()):
        values = {p.name: EXAMPLE_VALUES[p.name] for p in q.params if p.required and p.default is None}
        text = bound_text(q, bindings(q, values))
        out.append((name, q, text, values))
    return out


def result_dicts(report) -> list[dict]:
    """A fkgraph validation report's results as the plain dicts both sides hand back as JSON."""
    return [dict(focus=r.focus, path=r.path, component=r.component, source_shape=r.source_shape)
            for r in report.results]


def result_keys(results: list[dict]) -> list[list[str]]:
    return sorted([r["focus"], r["path"], r["component"], r["source_shape"]] for r in results)


# ---- the two sides (each runs in its own subprocess) -------------------------------------------

def side_fkgraph(args) -> dict:
    """The load path (what every command does from the build cache, and `fkgraph validate FILE`):
    load the N-Triples file the baseline parses, validate, every stored query, Turtle export."""
    from fkgraph.rdf.store import load
    from fkgraph.sparql import results
    from fkgraph.rdf.serialize import export
    from fkgraph.scale.engine import run_shacl
    from fkgraph.shacl.engine import validate

    steps: dict[str, float | None] = {}
    steps["load"], store = timed(lambda: load(args.nt))
    steps["validate"], report = timed(lambda: validate(store, SHAPES, ONTOLOGY, engine=run_shacl, name="fast"))
    for name, q, _text, values in stored_queries():
        steps[f"query {name}"], _ = timed(lambda: len(results.run(q, store, values).rows), args.timeout)
    with tempfile.TemporaryDirectory() as tmp:
        steps["export turtle"], _ = timed(lambda: export(store, Path(tmp) / "fkgraph.ttl", "turtle"))
    return {"steps": steps, "triples": len(store), "peak_rss_kb": peak_rss_kb(),
            "results": result_dicts(report)}


def side_fkgraph_build(args) -> dict:
    """The build path, in a process of its own so that its peak RSS is its own (what a first
    `fkgraph build` does): the synthetic records → mapping.build → validate → Turtle export. The
    records are dropped before validating: `validate(store)` needs the store only."""
    import gc

    from fkgraph.rdf import mapping
    from fkgraph.scale import synth
    from fkgraph.rdf.serialize import export
    from fkgraph.scale.engine import run_shacl
    from fkgraph.shacl.engine import validate

    steps: dict[str, float | None] = {}
    # the injected list is not kept: made among the records, it would keep their heap resident
    records = synth.generate(args.n, args.seed, args.inject)[0]
    steps["build"], built = timed(lambda: mapping.build(records, base=BASE))
    store = built.store
    del built, records
    gc.collect()  # the records hold reference cycles
    steps["validate after build"], report = timed(lambda: validate(store, SHAPES, ONTOLOGY, engine=run_shacl, name="fast"))
    with tempfile.TemporaryDirectory() as tmp:
        export(store, Path(tmp) / "fkgraph.ttl", "turtle")
    return {"steps": steps, "triples": len(store), "peak_rss_kb": peak_rss_kb(), "results": len(report.results)}


def pyshacl_check(g):
    """A function that runs pyshacl's defaults on `g` (shapes and ontology given) and returns its
    results as plain dicts, keyed as result_keys reads them."""
    import pyshacl
    import rdflib

    shapes = rdflib.Graph().parse(SHAPES, format="turtle")
    ont = rdflib.Graph().parse(ONTOLOGY, format="turtle")
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")

    def s(t):
        return "" if t is None else (f"_:{t}" if isinstance(t, rdflib.BNode) else str(t))

    def check():
        rep = pyshacl.validate(g, shacl_graph=shapes, ont_graph=ont)[1]
        return [dict(focus=s(rep.value(n, sh.focusNode)), path=s(rep.value(n, sh.resultPath)),
                     component=s(rep.value(n, sh.sourceConstraintComponent)),
                     source_shape=s(rep.value(n, sh.sourceShape)))
                for n in rep.subjects(rdflib.RDF.type, sh.ValidationResult)]
    return check


def side_fkgraph_validate(args) -> dict:
    """Parity only: the load path's load and validate, nothing timed for the tables."""
    from fkgraph.rdf.store import load
    from fkgraph.scale.engine import run_shacl
    from fkgraph.shacl.engine import validate

    store = load(args.nt)
    report = validate(store, SHAPES, ONTOLOGY, engine=run_shacl, name="fast")
    return {"triples": len(store), "peak_rss_kb": peak_rss_kb(),
            "results": result_dicts(report)}


def side_reference(args) -> dict:
    """Parity only: rdflib parses the graph, then pyshacl validates it inside cached_sparql_parses,
    capped by --parity-timeout. Nothing else runs in this process, so its memory is its own."""
    import rdflib

    g = rdflib.Graph()
    g.parse(args.nt, format="nt")
    check = pyshacl_check(g)
    with cached_sparql_parses(), plain_iri_messages():
        seconds, results = timed(check, args.parity_timeout)
    return {"triples": len(g), "reference_seconds": seconds, "reference_results": results,
            "peak_rss_kb": peak_rss_kb()}


def side_baseline(args) -> dict:
    import rdflib

    steps: dict[str, float | None] = {}
    cap = args.timeout
    g = rdflib.Graph()
    text = Path(args.nt).read_text(encoding="utf-8")
    # every other step needs the parsed graph: its cap is never below 600 s
    steps["load"], _ = timed(lambda: g.parse(data=text, format="nt"), max(cap, 600.0))
    del text
    out: dict = {"steps": steps, "triples": len(g), "results": None}
    if steps["load"] is None:  # nothing else can run on a half-parsed graph
        out["peak_rss_kb"] = peak_rss_kb()
        return out
    check = pyshacl_check(g)
    # in this process, not a fork: pyshacl walks (and copies, to mix in the ontology) the whole
    # graph, and a forked child would duplicate the parent's 7 GB on top at 100k trials
    steps["validate"], out["results"] = timed(check, args.validate_timeout)
    if out["results"] is None and args.parity_timeout:
        # parity at full size, untimed: the same pyshacl run with each SPARQL constraint's text
        # parsed once (see cached_sparql_parses); its time is reported but compared with nothing
        with cached_sparql_parses(), plain_iri_messages():
            out["reference_seconds"], out["reference_results"] = timed(check, args.parity_timeout)
    for name, _q, qtext, _values in stored_queries():
        steps[f"query {name}"], _ = timed(lambda: len(list(g.query(qtext))), cap)
    with tempfile.TemporaryDirectory() as tmp:
        steps["export turtle"], _ = timed(
            lambda: bool(g.serialize(destination=str(Path(tmp) / "out.ttl"), format="turtle")), args.export_timeout)
    out["peak_rss_kb"] = peak_rss_kb()
    return out


# ---- the parent ---------------------------------------------------------------------------------

def merge_build_path(entry: dict) -> None:
    """The build path's steps join fkgraph's (after load and validate); fkgraph's peak RSS is the
    higher of the two paths, each kept under peak_rss_kb_paths."""
    b = entry.pop("fkgraph-build")
    fk = entry["fkgraph"]
    if b["triples"] != fk["triples"]:
        raise SystemExit(f"build and load gave different graphs: {b['triples']} vs {fk['triples']} triples")
    if b["results"] != len(fk["results"]):
        raise SystemExit(f"validating the built graph gave {b['results']} results, the loaded one {len(fk['results'])}")
    steps = fk["steps"]
    fk["steps"] = {k: steps[k] for k in ("load", "validate")} | b["steps"] | {
        k: v for k, v in steps.items() if k not in ("load", "validate")}
    fk["peak_rss_kb_paths"] = {"load": fk["peak_rss_kb"], "build": b["peak_rss_kb"]}
    fk["peak_rss_kb"] = max(fk["peak_rss_kb"], b["peak_rss_kb"])
    fk["wall"] += b["wall"]


def parity_full(fast: list[dict], base: list[dict] | None, ref: list[dict] | None, ref_s: float | None,
                args) -> str:
    """The fast engine against pyshacl on the whole graph: the timed run's results when it finished
    inside its cap, else the reference run's (pyshacl with cached SPARQL parses)."""
    if base is not None:
        same, n, how = result_keys(fast) == result_keys(base), len(base), "pyshacl"
    elif ref is not None:
        same, n, how = result_keys(fast) == result_keys(ref), len(ref), \
            f"pyshacl with cached SPARQL parses, {ref_s:.0f} s (its defaults > {args.validate_timeout:g} s)"
    else:
        cap = f"; with cached SPARQL parses > {args.parity_timeout:g} s" if args.parity_timeout else ""
        return f"not measured: pyshacl took > {args.validate_timeout:g} s{cap}"
    return f"{'identical' if same else 'DIFFERENT'}: {len(fast)} fast vs {n} results of {how}"


def run_side(side: str, n: int, nt: Path, args) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--side", side, "--n", str(n), "--nt", str(nt),
           "--seed", str(args.seed), "--inject", str(args.inject), "--timeout", str(args.timeout),
           "--validate-timeout", str(args.validate_timeout), "--export-timeout", str(args.export_timeout),
           "--parity-timeout", str(args.parity_timeout)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark side {side} at {n} trials failed:\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["wall"] = time.perf_counter() - t0
    return out


def injected_missed(injected, results: list[dict]) -> list[str]:
    """The injected violations (synth.Injected) that no result reports at their trial from the
    shape that must catch them."""
    from fkgraph.scale import synth

    fsh = "https://w3id.org/fkgraph/shapes#"
    found = {(r["focus"], r["source_shape"]) for r in results}
    return [f"{v.kind}: {v.trial}" for v in injected
            if (BASE + f"id/trial/frikommune-ii/{v.trial}", fsh + synth.CAUGHT_BY[v.kind]) not in found]


def parity_small(trials: int, seed: int, inject: int) -> dict:
    """Both engines through fkgraph.shacl.engine on a small graph; every injected violation found."""
    import importlib

    from fkgraph.rdf import mapping
    from fkgraph.scale import synth
    from fkgraph.scale.engine import run_shacl
    validate = importlib.import_module("fkgraph.shacl.engine").validate

    records, injected = synth.generate(trials, seed, max(1, inject))
    built = mapping.build(records, base=BASE)
    keys, times = {}, {}
    for engine in ("pyshacl", "fast"):
        t0 = time.perf_counter()
        rep = validate(built, SHAPES, ONTOLOGY, engine={"fast": run_shacl}.get(engine, engine), name=engine)
        times[engine] = time.perf_counter() - t0
        keys[engine] = sorted(r.key() for r in rep.results)
    missed = injected_missed(injected, [dict(focus=f, source_shape=s) for f, _p, _c, s in keys["fast"]])
    return {"trials": trials, "triples": len(built.store), "results": len(keys["pyshacl"]),
            "identical": keys["pyshacl"] == keys["fast"], "injected": len(injected), "injected_missed": missed,
            "seconds": times}


def shell_query(runs: int = 5) -> dict:
    """`fkgraph query most-exempted-statutes` on the real data, wall time, best of `runs` (after
    one warm-up run that fills the build cache), beside the bare interpreter's start-up.

    The command is the `fkgraph` script installed beside this interpreter (not a version
    manager's shim, which adds its own start-up), and Python may write its bytecode cache, as
    it does on a user's machine: with PYTHONDONTWRITEBYTECODE set, every run would recompile
    fkgraph's modules."""
    script = Path(sys.executable).with_name("fkgraph")
    cmd = [str(script)] if script.is_file() else [sys.executable, "-m", "fkgraph"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

    def best_of(argv: list[str]) -> tuple[float, bool]:
        best, ok = math.inf, True
        for _ in range(runs):
            t0 = time.perf_counter()
            p = subprocess.run(argv, capture_output=True, cwd=ROOT, env=env)
            best = min(best, time.perf_counter() - t0)
            ok = ok and p.returncode == 0
        return best, ok

    cmd += ["query", "most-exempted-statutes", "--format", "csv"]
    subprocess.run(cmd, capture_output=True, cwd=ROOT, env=env)
    seconds, ok = best_of(cmd)
    python, _ = best_of([sys.executable, "-c", "pass"])
    return {"command": "fkgraph query most-exempted-statutes", "best_of": runs, "seconds": seconds, "ok": ok,
            "python_seconds": python}


def import_times(runs: int = 3) -> dict:
    out = {}
    for mod in ("pyoxigraph", "rdflib", "pyshacl", "shacl", "fkgraph", "fkgraph.cli"):
        code = f"import time; t=time.perf_counter(); import {mod}; print(time.perf_counter()-t)"
        best = math.inf
        for _ in range(runs):
            p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
            if p.returncode == 0:
                best = min(best, float(p.stdout.strip()))
        out[mod] = None if best == math.inf else best
    return out


def step_cap(step: str, caps: dict) -> float:
    """The cap a step ran under (caps: the run's timeout_s, validate_timeout_s, export_timeout_s)."""
    if step == "load":
        return max(caps["timeout_s"], 600.0)
    if step.startswith("validate"):
        return caps["validate_timeout_s"]
    if step.startswith("export"):
        return caps["export_timeout_s"]
    return caps["timeout_s"]


def add_sums(sizes: dict, caps: dict) -> None:
    """The target's rows: load + validate on each side, and build + validate for fkgraph (set
    against the baseline's load + validate, the only way rdflib gets a graph). A sum with a
    capped part is None on the fkgraph side and a lower bound (`> T s`) on the baseline's."""
    for entry in sizes.values():
        caps_n = entry.get("caps", caps)
        for side in ("fkgraph", "baseline"):
            st = entry[side]["steps"]
            after = "validate after build" if "validate after build" in st else "validate"
            parts = {"load + validate": ("load", "validate"), "build + validate": ("build", after)}
            for name, (a, b) in parts.items():
                if a not in st and side == "baseline":
                    a = "load"
                if a in st and b in st:
                    st[name] = None if st[a] is None or st[b] is None else st[a] + st[b]
                    if st[name] is None:
                        entry[side].setdefault("lower_bounds", {})[name] = (st[a] or step_cap(a, caps_n)) + (st[b] or step_cap(b, caps_n))


def fmt_s(t: float | None, cap: float) -> str:
    return f"> {cap:.4g} s" if t is None else f"{t:.3f}"


def ratio(fk: float | None, base: float | None, cap: float) -> str:
    if fk is None or fk <= 0:
        return "n/a"
    if base is None:
        return f"> {cap / fk:.0f}x"
    return f"{base / fk:.1f}x"


def _cap(entry: dict, side: str, step: str, caps: dict) -> float:
    return entry[side].get("lower_bounds", {}).get(step) or step_cap(step, entry.get("caps", caps))


def _against(step: str) -> str:
    """The baseline step a fkgraph step is measured against."""
    return {"build": "load", "build + validate": "load + validate", "validate after build": "validate"}.get(step, step)


def table(sizes: dict, caps: dict) -> str:
    lines = []
    ns = sorted(sizes)
    for n in ns:
        fk, bl = sizes[n]["fkgraph"], sizes[n]["baseline"]
        lines.append(f"\n{n} trials, {fk['triples']} triples")
        lines.append(f"{'step':38s} {'fkgraph s':>10s} {'rdflib+pyshacl s':>17s} {'ratio':>9s}")
        for step, t in fk["steps"].items():
            other = _against(step)
            b = bl["steps"].get(other)
            ran = other in bl["steps"]
            cap = _cap(sizes[n], "baseline", other, caps)
            label = step if other == step else f"{step} (vs {other})"
            lines.append(f"{label:38s} {fmt_s(t, step_cap(step, sizes[n].get('caps', caps))):>10s} {(fmt_s(b, cap) if ran else 'not run'):>17s} "
                         f"{(ratio(t, b, cap) if ran else 'n/a'):>9s}")
        for side in ("fkgraph", "baseline"):
            s = sizes[n][side]
            paths = s.get("peak_rss_kb_paths", {})
            lines.append(f"peak RSS {side:29s} {s['peak_rss_kb'] / 1024:8.0f} MB  "
                         f"{s['peak_rss_kb'] * 1024 / max(1, fk['triples']) / 1000:.2f} KB/triple"
                         + "".join(f"; {p} path {kb / 1024:.0f} MB, {kb * 1024 / max(1, fk['triples']) / 1000:.2f} KB/triple"
                                   for p, kb in paths.items()))
        p = sizes[n].get("parity_full")
        lines.append(f"parity with pyshacl on this graph: {p}")
        if "injected_missed" in sizes[n]:
            lines.append(f"injected violations ({sizes[n]['injected']}) the fast engine missed: "
                         f"{', '.join(sizes[n]['injected_missed']) or 'none'}")
    if 10000 in sizes and 100000 in sizes:
        lines.append("\ngrowth exponent 10k → 100k, log(t100k/t10k)/log(10) (≤ 1.15 is linear enough)")
        for step in sizes[100000]["fkgraph"]["steps"]:
            row = []
            for side in ("fkgraph", "baseline"):
                a, b = sizes[10000][side]["steps"].get(step), sizes[100000][side]["steps"].get(step)
                row.append(f"{math.log10(b / a):.2f}" if a and b else "n/a")
            lines.append(f"{step:38s} fkgraph {row[0]:>6s}   baseline {row[1]:>6s}")
    return "\n".join(lines)


def markdown(report: dict) -> str:
    """The README table from a results JSON: seconds at each size, ratios, growth exponents."""
    sizes = {int(n): v for n, v in report["sizes"].items()}
    caps = _caps(report)
    ns = sorted(sizes)
    both = {10000, 100000} <= set(ns)
    head = "| step | " + " | ".join(f"fkgraph {n // 1000}k | baseline {n // 1000}k | ratio {n // 1000}k" for n in ns)
    head += " | exponent fkgraph | exponent baseline |" if both else " |"
    lines = [head, "|" + "---|" * (1 + 3 * len(ns) + (2 if both else 0))]
    grow = report.get("growth_exponent", {})

    def s(t, cap):
        return f"> {cap:.4g}" if t is None else (f"{t:.3f}" if t < 10 else f"{t:.1f}")
    for step in sizes[ns[0]]["fkgraph"]["steps"]:
        other = _against(step)
        row = [step if other == step else f"{step} (baseline: {other})"]
        for n in ns:
            fk, bl = sizes[n]["fkgraph"]["steps"].get(step), sizes[n]["baseline"]["steps"]
            cap = _cap(sizes[n], "baseline", other, caps)
            row += [s(fk, step_cap(step, sizes[n].get("caps", caps))), s(bl.get(other), cap) if other in bl else "not run",
                    ratio(fk, bl.get(other), cap) if other in bl else "n/a"]
        if both:
            g = grow.get(step, {})
            row += [f"{g['fkgraph']:.2f}" if g.get("fkgraph") is not None else "n/a",
                    f"{g['baseline']:.2f}" if g.get("baseline") is not None else "n/a"]
        lines.append("| " + " | ".join(row) + " |")
    row = ["peak RSS, KB/triple"]
    for n in ns:
        t = sizes[n]["triples"]
        a, b = (sizes[n][side]["peak_rss_kb"] * 1.024 / t for side in ("fkgraph", "baseline"))
        row += [f"{a:.2f}", f"{b:.2f}", f"{b / a:.1f}x"]
    lines.append("| " + " | ".join(row) + (" | | |" if both else " |"))
    return "\n".join(lines)


def _caps(report: dict) -> dict:
    t = report["timeout_s"]
    return {"timeout_s": t, "validate_timeout_s": report.get("validate_timeout_s", t),
            "export_timeout_s": report.get("export_timeout_s", t)}


def targets(report: dict) -> list[dict]:
    """Issue 10's targets, checked on the largest size of the run: (target, figure, met)."""
    sizes = {int(n): v for n, v in report["sizes"].items()}
    caps = _caps(report)
    n = max(sizes)
    entry = sizes[n]
    fk, bl = entry["fkgraph"]["steps"], entry["baseline"]["steps"]

    def speedup(step: str) -> tuple[float | None, bool]:
        """(ratio or its lower bound, whether it is only a lower bound)"""
        other = _against(step)
        if fk.get(step) is None or other not in bl:
            return None, False
        if bl[other] is None:
            return _cap(entry, "baseline", other, caps) / fk[step], True
        return bl[other] / fk[step], False

    def x(r):
        return "n/a" if r[0] is None else f"{'> ' if r[1] else ''}{r[0]:.1f}x"
    out = []
    qs = {k: v for k, v in fk.items() if k.startswith("query ")}
    slow = {k[6:]: v for k, v in qs.items() if v is None or v > 1.0}
    out.append({"target": f"every stored query ≤ 1 s in-process at {n // 1000}k",
                "figure": "all ≤ 1 s" if not slow else "over 1 s: " + ", ".join(
                    f"{k} {'> cap' if v is None else f'{v:.2f} s'}" for k, v in sorted(slow.items())),
                "met": not slow})
    low = {k[6:]: speedup(k) for k in qs}
    missed = {k: r for k, r in low.items() if r[0] is None or (r[0] < 15 and not r[1])}
    unproven = {k: r for k, r in low.items() if r[0] is not None and r[0] < 15 and r[1]}
    out.append({"target": "every stored query ≥ 15x faster than rdflib",
                "figure": ("min " + min((x(r) for r in low.values() if r[0] is not None), key=lambda t: float(t.strip("> x")), default="n/a"))
                + ("; below 15x: " + ", ".join(f"{k} {x(r)}" for k, r in sorted(missed.items())) if missed else "")
                + ("; lower bound only (baseline capped): " + ", ".join(f"{k} {x(r)}" for k, r in sorted(unproven.items())) if unproven else ""),
                "met": not missed and not unproven})
    for step, want in (("export turtle", 40), ("load + validate", 20), ("build + validate", 20)):
        r = speedup(step)
        out.append({"target": f"{step} ≥ {want}x faster than rdflib{' + pyshacl' if 'validate' in step else ''}"
                              + (" (baseline: load + validate)" if step == "build + validate" else ""),
                    "figure": x(r), "met": r[0] is not None and r[0] >= want})
    parity = str(entry.get("parity_full"))
    smaller = "".join(f"; at {m // 1000}k: {e.get('parity_full')}" for m, e in sorted(sizes.items())
                      if m != n and e.get("parity_full"))
    missed = entry.get("injected_missed")
    found = ("; injected: not checked at full size" if missed is None else
             f"; injected: all {entry['injected']} found" if not missed else "; injected MISSED: " + ", ".join(missed))
    out.append({"target": "the same violations as pyshacl on the full graph", "figure": parity + found + smaller,
                "met": parity.startswith("identical") and missed == []})
    kb = entry["fkgraph"]["peak_rss_kb"] * 1.024 / entry["triples"]
    paths = entry["fkgraph"].get("peak_rss_kb_paths", {})
    detail = "".join(f"; {p} path {v * 1.024 / entry['triples']:.3f}" for p, v in paths.items())
    out.append({"target": "peak RSS ≤ 0.5 KB per triple", "figure": f"{kb:.3f} KB/triple (the higher path{detail})",
                "met": kb <= 0.5})
    grow = report.get("growth_exponent", {})
    if grow:
        steep = {k: g["fkgraph"] for k, g in grow.items() if g.get("fkgraph") is not None and g["fkgraph"] > 1.15}
        out.append({"target": "every fkgraph step grows linearly (exponent ≤ 1.15, 10k → 100k)",
                    "figure": "max " + f"{max(g['fkgraph'] for g in grow.values() if g.get('fkgraph') is not None):.2f}"
                    + ("; over: " + ", ".join(f"{k} {v:.2f}" for k, v in sorted(steep.items())) if steep else ""),
                    "met": not steep})
    sq = report.get("shell_query")
    if sq:
        out.append({"target": "`fkgraph query most-exempted-statutes` from the shell ≤ 0.3 s",
                    "figure": f"{sq['seconds']:.3f} s", "met": sq["ok"] and sq["seconds"] <= 0.3})
    return out


def summarise(report: dict) -> None:
    """The sums and growth exponents of a report, from its measured steps (print_targets adds the targets)."""
    caps = _caps(report)
    for entry in report["sizes"].values():
        for side in ("fkgraph", "baseline"):
            entry[side].pop("lower_bounds", None)
            for name in ("load + validate", "build + validate"):
                entry[side]["steps"].pop(name, None)
    add_sums(report["sizes"], caps)
    report["growth_exponent"] = growth(report["sizes"])


def print_targets(report: dict) -> None:
    report["targets"] = targets(report)
    print(f"\ntargets (at {max(int(n) for n in report['sizes']) // 1000}k trials):")
    for t in report["targets"]:
        print(f"  {'met   ' if t['met'] else 'MISSED'}  {t['target']}: {t['figure']}")


def growth(sizes: dict) -> dict:
    out = {}
    if 10000 in sizes and 100000 in sizes:
        for side in ("fkgraph", "baseline"):
            for step, b in sizes[100000][side]["steps"].items():
                a = sizes[10000][side]["steps"].get(step)
                out.setdefault(step, {})[side] = math.log10(b / a) if a and b else None
    return out


def _save(path: Path, report: dict) -> None:
    from fkgraph.fsio import atomic_write

    with atomic_write(path) as f:
        f.write((json.dumps(report, indent=2) + "\n").encode("utf-8"))


def parity_of(path: Path, args) -> int:
    """What full-size parity lacks in a results file, measured after the timed run, on the same
    seeded graph: the comparison with pyshacl where its defaults hit their cap (the reference run,
    cached SPARQL parses) and whether the fast engine reports every injected violation.

    First, for every such size, the graph is written again and the fast engine run; any size whose
    graph or fast-engine result count differs from the file's stops it before anything is written.
    Then the reference runs, one size after the other, each in a process of its own, and the file
    is rewritten after each (a long run keeps what it has measured). The timed figures of the
    file are left as they were."""
    from fkgraph.scale import synth

    report = json.loads(path.read_text(encoding="utf-8"))
    sizes = {int(n): e for n, e in report["sizes"].items()}

    def needs_reference(e: dict) -> bool:
        return str(e.get("parity_full", "not measured")).startswith("not measured")
    todo = [n for n in sorted(sizes) if needs_reference(sizes[n]) or "injected_missed" not in sizes[n]]
    if not todo:
        print(f"{path}: parity is measured at every size already", file=sys.stderr)
        return 0
    if not args.parity_timeout and any(needs_reference(sizes[n]) for n in todo):
        raise SystemExit(f"{path}: the reference pyshacl run needs a cap: give --parity-timeout SECONDS "
                         f"(about an hour at 100k trials; 0 would mean none)")
    with tempfile.TemporaryDirectory() as tmp:
        checked = {}
        for n in todo:
            entry = sizes[n]
            nt = Path(tmp) / f"synth-{n}.nt"
            _, triples, injected = synth.write(nt, n, report["seed"], report["inject"], base=BASE)
            if triples != entry["triples"] or len(injected) != entry["injected"]:
                raise SystemExit(f"{path}: at {n} trials the generator now gives {triples} triples and "
                                 f"{len(injected)} injected violations, the file {entry['triples']} and "
                                 f"{entry['injected']}: not the graph that was timed")
            fast = run_side("fkgraph-validate", n, nt, args)
            print(f"[{n}] fast engine: {len(fast['results'])} results, {fast['wall']:.0f} s wall", file=sys.stderr)
            if len(fast["results"]) != entry.get("fast_results", len(fast["results"])):
                raise SystemExit(f"{path}: at {n} trials the fast engine now reports {len(fast['results'])} "
                                 f"results, in the timed run {entry['fast_results']}: not the code that was timed")
            checked[n] = (nt, fast["results"], injected_missed(injected, fast["results"]))
            print(f"[{n}] injected violations the fast engine missed: {checked[n][2] or 'none'}", file=sys.stderr)
            if not needs_reference(entry):
                nt.unlink()
        for n, (nt, fast, missed) in checked.items():
            entry = sizes[n]
            entry["injected_missed"] = missed
            if needs_reference(entry):
                ref = run_side("reference", n, nt, args)
                nt.unlink()
                print(f"[{n}] pyshacl with cached SPARQL parses: {ref['wall']:.0f} s wall", file=sys.stderr)
                caps = argparse.Namespace(validate_timeout=entry.get("caps", _caps(report))["validate_timeout_s"],
                                          parity_timeout=args.parity_timeout)
                entry["parity_full"] = parity_full(fast, None, ref["reference_results"], ref["reference_seconds"], caps)
                entry["parity_full_run"] = {"measured": time.strftime("%Y-%m-%d %H:%M"),
                                            "parity_timeout_s": args.parity_timeout,
                                            "reference_peak_rss_kb": ref["peak_rss_kb"],
                                            "load": list(os.getloadavg())}
                print(f"[{n}] {entry['parity_full']}", file=sys.stderr)
            report["sizes"] = sizes
            summarise(report)
            report["targets"] = targets(report)  # the stored targets say what parity found so far
            _save(path, report)
    print(table(report["sizes"], _caps(report)))
    print_targets(report)
    unmeasured = [n for n in todo if needs_reference(sizes[n])]
    if unmeasured:
        print(f"parity still not measured at {', '.join(map(str, unmeasured))} trials: the reference run hit "
              f"--parity-timeout {args.parity_timeout:g} s", file=sys.stderr)
    return 0 if not unmeasured and all("DIFFERENT" not in str(e.get("parity_full")) and not e.get("injected_missed")
                                       for e in sizes.values()) else 1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, nargs="+", default=[1000, 10000, 100000])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--inject", type=int, default=2, help="violations of each kind injected")
    ap.add_argument("--timeout", type=float, default=None,
                    help="cap per step, s (default 300; smoke 2); fkgraph's queries are capped too")
    ap.add_argument("--validate-timeout", type=float, default=None,
                    help="cap for the baseline's pyshacl run, s (default 1800: parity at full size needs it to finish)")
    ap.add_argument("--export-timeout", type=float, default=None,
                    help="cap for the baseline's Turtle export, s (default 900)")
    ap.add_argument("--parity-timeout", type=float, default=None,
                    help="cap for the untimed parity run (pyshacl with cached SPARQL parses) when pyshacl's "
                         "defaults hit their cap, s (default 3600; smoke 0: not run); 0 skips it")
    ap.add_argument("--resume", type=Path, metavar="JSON",
                    help="take the sizes this earlier (partial) result measured, each with its own caps, and measure the rest")
    ap.add_argument("--parity-trials", type=int, default=60)
    ap.add_argument("--parity-of", type=Path, metavar="JSON",
                    help="for the sizes of this results file without parity at full size (or without the "
                         "check that every injected violation is reported), measure it on the same seeded graph "
                         "(the fast engine; pyshacl with cached SPARQL parses, capped by --parity-timeout, which "
                         "must then be > 0), write it into the file, print its targets and stop")
    ap.add_argument("--smoke", action="store_true", help="CI: small caps, fewer repeats; no timing claims")
    ap.add_argument("--output", type=Path, help="JSON file (default benchmarks/results/<date>-<sizes>.json)")
    # internal: run one side
    ap.add_argument("--side", choices=["fkgraph", "fkgraph-build", "baseline", "fkgraph-validate", "reference"],
                    help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--nt", help=argparse.SUPPRESS)
    ap.add_argument("--markdown", type=Path, metavar="JSON", help="print the README table of a results file and stop")
    ap.add_argument("--table", type=Path, metavar="JSON",
                    help="recompute the sums, growth and targets of a results file (each size with its own caps), print them and stop")
    args = ap.parse_args(argv)
    if args.markdown:
        print(markdown(json.loads(args.markdown.read_text(encoding="utf-8"))))
        return 0
    if args.table:
        report = json.loads(args.table.read_text(encoding="utf-8"))
        report["sizes"] = {int(n): e for n, e in report["sizes"].items()}
        summarise(report)
        print(table(report["sizes"], _caps(report)))
        print_targets(report)
        return 0
    if args.timeout is None:
        args.timeout = 2.0 if args.smoke else 300.0
    if args.validate_timeout is None:
        args.validate_timeout = 10.0 if args.smoke else 1800.0
    if args.export_timeout is None:
        args.export_timeout = 10.0 if args.smoke else 900.0
    if args.parity_timeout is None:
        args.parity_timeout = 0.0 if args.smoke else 3600.0
    if args.side:
        out = {"fkgraph": side_fkgraph, "fkgraph-build": side_fkgraph_build, "baseline": side_baseline,
               "fkgraph-validate": side_fkgraph_validate, "reference": side_reference}[args.side](args)
        print(json.dumps(out))
        return 0
    if args.parity_of:
        return parity_of(args.parity_of, args)

    from fkgraph.scale import synth

    report: dict = {"machine": {"python": platform.python_version(), "platform": platform.platform(),
                                "cpus": os.cpu_count(), "load_at_start": os.getloadavg()},
                    "seed": args.seed, "inject": args.inject, "timeout_s": args.timeout,
                    "validate_timeout_s": args.validate_timeout, "export_timeout_s": args.export_timeout,
                    "parity_timeout_s": args.parity_timeout, "smoke": args.smoke,
                    "sizes": {}}
    out = args.output or HERE / "results" / (time.strftime("%Y-%m-%d") + "-" + "-".join(
        f"{n // 1000}k" for n in sorted(args.trials)) + ("-smoke" if args.smoke else "") + ".json")
    partial_out = out.with_name(out.stem + ".partial.json")
    resumed = {}
    if args.resume:  # sizes a previous (partial) run measured, each with its own caps
        resumed = {int(n): e for n, e in json.loads(args.resume.read_text(encoding="utf-8"))["sizes"].items()}
    with tempfile.TemporaryDirectory() as tmp:
        for n in sorted(args.trials):
            if n in resumed:
                report["sizes"][n] = resumed[n]
                print(f"[{n}] taken from {args.resume} (measured {resumed[n].get('measured', '?')})", file=sys.stderr)
                continue
            nt = Path(tmp) / f"synth-{n}.nt"
            t0 = time.perf_counter()
            _, triples, injected = synth.write(nt, n, args.seed, args.inject, base=BASE)
            print(f"[{n}] synthetic graph: {triples} triples in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
            entry = {"triples": triples, "injected": len(injected), "measured": time.strftime("%Y-%m-%d %H:%M"),
                     "caps": {"timeout_s": args.timeout, "validate_timeout_s": args.validate_timeout,
                              "export_timeout_s": args.export_timeout, "parity_timeout_s": args.parity_timeout}}
            for side in ("fkgraph", "fkgraph-build", "baseline"):
                entry[side] = run_side(side, n, nt, args)
                print(f"[{n}] {side}: {entry[side]['wall']:.0f} s wall", file=sys.stderr)
            merge_build_path(entry)
            fast, base = entry["fkgraph"].pop("results"), entry["baseline"].pop("results")
            ref, ref_s = entry["baseline"].pop("reference_results", None), entry["baseline"].pop("reference_seconds", None)
            entry["parity_full"] = parity_full(fast, base, ref, ref_s, args)
            entry["fast_results"] = len(fast)
            entry["injected_missed"] = injected_missed(injected, fast)
            report["sizes"][n] = entry
            nt.unlink()
            _save(partial_out, report)  # a long run keeps what it has measured so far
    report["parity_small"] = parity_small(args.parity_trials, args.seed, args.inject)
    summarise(report)
    report["shell_query"] = shell_query(2 if args.smoke else 5)
    report["import_s"] = import_times(1 if args.smoke else 3)
    report["machine"]["load_at_end"] = os.getloadavg()
    print(table(report["sizes"], _caps(report)))
    ps = report["parity_small"]
    print(f"\nparity on {ps['trials']} trials ({ps['triples']} triples, {ps['injected']} injected): "
          f"{'identical' if ps['identical'] else 'DIFFERENT'} ({ps['results']} results); "
          f"injected missed: {ps['injected_missed'] or 'none'}; pyshacl {ps['seconds']['pyshacl']:.1f} s, "
          f"fast {ps['seconds']['fast']:.2f} s")
    sq = report["shell_query"]
    print(f"shell: {sq['command']}: {sq['seconds']:.3f} s wall (best of {sq['best_of']}; target 0.3 s); "
          f"`python -c pass` {sq.get('python_seconds', math.nan):.3f} s")
    print("imports: " + ", ".join(f"{m} {t:.3f} s" for m, t in report["import_s"].items() if t is not None))
    print_targets(report)
    _save(out, report)
    partial_out.unlink(missing_ok=True)
    print(f"wrote {out}", file=sys.stderr)
    ok = ps["identical"] and not ps["injected_missed"] and sq["ok"] and all(
        "DIFFERENT" not in str(e.get("parity_full")) and not e.get("injected_missed") for e in report["sizes"].values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
