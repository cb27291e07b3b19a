"""A fresh clone is the whole product: the suite reads nothing outside the checkout except the two
folders conftest.external names by variable, and the data needs neither of them."""
from __future__ import annotations

import re

from conftest import EXTERNAL, ROOT

#: Ways a test could reach past the checkout: the folder above it, a sibling `shared/`, an
#: absolute path on this machine.
OUTSIDE = re.compile(r"ROOT\.parent|\.\./|[\"']shared[\"']\s*/|/\s*[\"']shared[\"']|shared/"
                     r"|[\"']/(work|root|home|tmp)/")


def test_no_test_reads_outside_the_checkout():
    found = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        if path.name in ("conftest.py", "test_checkout.py"):  # the one place, and this test's own examples
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            up = [int(k) for k in re.findall(r"parents\[(\d+)\]", line)]
            if OUTSIDE.search(line) or any(k >= len(path.relative_to(ROOT).parts) for k in up):
                found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not found, "use conftest.external(...) instead:\n" + "\n".join(found)


def test_the_pattern_catches_what_it_is_for():
    for line in ('SEEDS = ROOT.parent / "shared" / "seeds"', "p = Path('../shared/checks')",
                 "x = HERE.parent / 'shared'", 'open("/work/shared/seeds/004.txt")'):
        assert OUTSIDE.search(line), line
    assert not OUTSIDE.search('q("shared-provisions", {"level": "paragraph"}, built)')


def test_external_folders_default_beside_the_checkout_and_are_named_by_variable():
    assert set(EXTERNAL) == {"FKGRAPH_SOURCES", "FKGRAPH_CHECKS"}
    assert all(default.parent.parent == ROOT.parent for default, _ in EXTERNAL.values())


def test_the_product_reads_no_source_texts():
    """The package and its data name no folder outside the checkout (line counts live in sources.yaml)."""
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "src").rglob("*.py")
                 if re.search(r"FKGRAPH_SEEDS|FKGRAPH_SOURCES|[\"']shared[\"']", p.read_text(encoding="utf-8"))]
    assert not offenders
