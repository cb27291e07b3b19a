"""The documented CI setup works as written: the workflow is valid for GitHub (the schema that
check-jsonschema ships), uses current major versions of its actions and no second repository;
and a data-only repository using the pre-commit hook has a bad commit blocked on its line."""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import missing
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
#: The first major version of each action that runs on Node 24 (GitHub is removing Node 20).
CURRENT = {"actions/checkout": 5, "actions/setup-python": 6, "actions/upload-artifact": 5}


def test_the_workflow_is_valid_under_github_s_workflow_schema():
    exe = shutil.which("check-jsonschema")
    if exe is None:
        missing("check-jsonschema is not installed (it is in the test extra)")
    r = subprocess.run([exe, "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_workflow_uses_current_actions_and_only_this_repository():
    flow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    steps = [s for job in flow["jobs"].values() for s in job["steps"]]
    used = [s["uses"] for s in steps if "uses" in s]
    assert used
    for ref in used:
        name, version = ref.split("@")
        assert name in CURRENT and int(version.lstrip("v").split(".")[0]) >= CURRENT[name], ref
    assert not any("repository" in (s.get("with") or {}) for s in steps)
    runs = "\n".join(s.get("run", "") for s in steps)
    assert "fkgraph check --format github" in runs and "GITHUB_STEP_SUMMARY" in runs


def test_the_documented_hook_names_no_missing_tag():
    hooks = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "v0.1.0" not in hooks + readme
    ids = [h["id"] for h in yaml.safe_load(hooks)]
    assert "fkgraph-check" in ids and all(h["entry"].startswith("fkgraph ") for h in yaml.safe_load(hooks))


@pytest.mark.slow
def test_a_data_only_repository_with_the_hook_blocks_a_bad_status(tmp_path):
    """A repository holding only data/, with fkgraph's hook pinned to this checkout's commit."""
    if shutil.which("git") is None:
        missing("git is not installed")
    if importlib.util.find_spec("pre_commit") is None:
        missing("pre-commit is not installed (pip install -e '.[test]')")
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True)
    if head.returncode != 0:
        missing("this checkout is not a git repository, so there is no commit to pin the hook to")
    repo = tmp_path / "data-repo"
    shutil.copytree(ROOT / "data", repo / "data")
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {ROOT}\n    rev: {head.stdout.strip()}\n    hooks:\n      - id: fkgraph-check\n",
        encoding="utf-8")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    env.pop("FKGRAPH_HOME", None)

    def git(*args):
        return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, env=env, timeout=900)

    assert git("init", "-q").returncode == 0
    git("config", "commit.gpgsign", "false")
    hook = subprocess.run([sys.executable, "-m", "pre_commit", "install"], cwd=repo, capture_output=True,
                          text=True, env=env)
    assert hook.returncode == 0, hook.stderr
    git("add", "-A")
    first = git("commit", "-q", "-m", "the data as fkgraph has it")
    assert first.returncode == 0, first.stdout + first.stderr

    path = repo / "data" / "networks" / "frikommune-ii-1.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("status: approved", "status: approvd", 1), encoding="utf-8")
    line = next(i + 1 for i, t in enumerate(path.read_text(encoding="utf-8").splitlines()) if "status: approvd" in t)
    git("add", "-A")
    blocked = git("commit", "-m", "a typo")
    out = blocked.stdout + blocked.stderr
    assert blocked.returncode != 0, out
    assert re.search(rf"data/networks/frikommune-ii-1\.yaml:{line}: .*approvd", out), out
    assert git("log", "--oneline").stdout.count("\n") == 1  # the bad commit did not happen
