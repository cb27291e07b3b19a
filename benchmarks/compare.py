"""fkgraph against an earlier fkgraph: the same timed steps of `run.py --side fkgraph` and
`--side fkgraph-build`, for two commits, on the same synthetic graph, side by side.

    python benchmarks/compare.py --old 9a40584 --trials 10000 --rounds 3

Each commit is checked out into a temporary clone; its own `benchmarks/run.py` runs each side in
a fresh process with that clone's `src/` first on the path. The rounds alternate old, new, old,
new …, so both see the same load on a shared machine; each step's median is compared. Prints a
table (old s, new s, new/old) and writes the figures as JSON with `--output`.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIDES = ("fkgraph", "fkgraph-build")


def clone(commit: str, into: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(ROOT), str(into)], check=True)
    subprocess.run(["git", "-C", str(into), "checkout", "-q", commit], check=True)
    return into


def side(tree: Path, name: str, n: int, nt: Path, seed: int, inject: int) -> dict:
    """One side of one tree in a fresh process; its steps in seconds."""
    env = dict(os.environ, PYTHONPATH=str(tree / "src"))
    cmd = [sys.executable, str(tree / "benchmarks" / "run.py"), "--side", name, "--n", str(n), "--nt", str(nt),
           "--seed", str(seed), "--inject", str(inject), "--timeout", "600", "--validate-timeout", "1800",
           "--export-timeout", "900", "--parity-timeout", "0"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tree, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"{tree.name} {name} failed:\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return {**out["steps"], f"peak RSS MB ({name})": out["peak_rss_kb"] / 1024}


def synth(tree: Path, n: int, seed: int, inject: int, path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(tree / "src"))
    subprocess.run([sys.executable, "-m", "fkgraph", "synth", "--trials", str(n), "--seed", str(seed),
                    "--inject", str(inject), "--output", str(path)], check=True, env=env, cwd=tree,
                   capture_output=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--old", required=True, help="the earlier commit")
    ap.add_argument("--new", default="HEAD", help="the later commit (default HEAD)")
    ap.add_argument("--trials", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--inject", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--output", type=Path)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        trees = {"old": clone(args.old, tmp / "old"), "new": clone(args.new, tmp / "new")}
        nt = tmp / f"synth-{args.trials}.nt"
        synth(trees["old"], args.trials, args.seed, args.inject, nt)
        runs: dict[str, list[dict]] = {"old": [], "new": []}
        for r in range(args.rounds):
            for label in ("old", "new") if r % 2 == 0 else ("new", "old"):
                steps: dict = {}
                for name in SIDES:
                    steps.update(side(trees[label], name, args.trials, nt, args.seed, args.inject))
                runs[label].append(steps)
                print(f"round {r + 1} {label} done", file=sys.stderr)
    median = {label: {k: statistics.median(s[k] for s in rs if s.get(k) is not None) for k in rs[0]}
              for label, rs in runs.items()}
    rows = [(k, median["old"][k], median["new"].get(k)) for k in median["old"]]
    print(f"{'step':42} {'old':>9} {'new':>9} {'new/old':>8}")
    for k, old, new in rows:
        print(f"{k:42} {old:9.3f} {new:9.3f} {new / old:8.2f}" if new is not None else f"{k:42} {old:9.3f}       n/a")
    if args.output:
        args.output.write_text(json.dumps({"old": args.old, "new": args.new, "trials": args.trials,
                                           "rounds": args.rounds, "runs": runs, "median": median}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
