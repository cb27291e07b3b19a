"""Progress: the library reports stages as (stage, done, total), and the command line draws them
as bars on a terminal only, after the step has run for a while."""
import io
import time

from fkgraph import api
from fkgraph.rdf import mapping
from fkgraph.scale import synth
from fkgraph.cli import slow_step


class Heard:
    def __init__(self):
        self.calls = []

    def __call__(self, stage, done, total):
        self.calls.append((stage, done, total))

    def stages(self):
        return list(dict.fromkeys(s for s, _, _ in self.calls))

    def of(self, stage):
        return [(d, t) for s, d, t in self.calls if s == stage]


def _climbs_to_total(points):
    done = [d for d, _ in points]
    totals = {t for _, t in points}
    return len(totals) == 1 and done == sorted(done) and done[0] == 0 and done[-1] == totals.pop()


def test_synth_reports_generating_building_loading_writing(tmp_path):
    heard = Heard()
    path, n, _ = synth.write(tmp_path / "s.nt", trials=2500, seed=3, progress=heard)
    assert heard.stages() == ["generating", "building", "loading", "writing"]
    for stage in heard.stages():
        assert _climbs_to_total(heard.of(stage)), (stage, heard.of(stage))
    assert heard.of("generating")[-1] == (2500, 2500)
    assert len(heard.of("generating")) >= 3          # every thousand trials, not only start and end
    # the store loads the built lines from a file, by bytes: about the bytes the N-Triples export writes
    done, total = heard.of("loading")[-1]
    assert done == total and path.stat().st_size <= total < path.stat().st_size * 1.01  # duplicates too
    # Reporting changes nothing: the same bytes as a run nobody listens to.
    quiet, _, _ = synth.write(tmp_path / "q.nt", trials=2500, seed=3)
    assert quiet.read_bytes() == path.read_bytes()


def test_a_cached_build_reports_the_bytes_it_loads(tmp_path, monkeypatch):
    monkeypatch.setenv("FKGRAPH_CACHE", str(tmp_path))
    api.build()                                      # fills the cache
    heard = Heard()
    built = api.build(progress=heard)
    (cache,) = tmp_path.glob("build-*.nt")
    assert heard.stages() == ["loading"] and _climbs_to_total(heard.of("loading"))
    assert heard.of("loading")[-1] == (cache.stat().st_size, cache.stat().st_size)
    assert len(built.store) > 1000


def test_validate_reports_three_stages_of_one_bar():
    heard = Heard()
    report = api.validate(mapping.build(api.load_records()), progress=heard)
    assert report.conforms
    assert heard.calls == [("validating (pyshacl)", k, 3) for k in range(4)]


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_bars_are_drawn_on_a_terminal_once_the_step_is_slow():
    term = Terminal()
    with slow_step("synth", after=0.05, file=term) as step:
        step.progress("building", 0, 10)
        time.sleep(0.3)                              # the bar appears after `after`
        for k in range(1, 11):
            step.progress("building", k, 10)
        step.progress("loading", 5, 10)
    out = term.getvalue()
    assert "synth: building" in out and "100%" in out and "synth: loading" in out
    assert out.rstrip().splitlines()[-1].startswith("synth: done (")


def test_quick_steps_and_pipes_stay_silent():
    term = Terminal()
    with slow_step("synth", after=5, file=term) as step:
        step.progress("building", 10, 10)
    assert term.getvalue() == ""
    pipe = io.StringIO()
    with slow_step("synth", after=0, file=pipe) as step:
        assert step.progress is None                 # the library is not even asked to report
    assert pipe.getvalue() == ""
