from __future__ import annotations

import re
import shutil
from pathlib import Path

import hypothesis
import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "chesterfield"
PARAMS = ROOT / "params" / "2022-23-Q2.yaml"


@pytest.fixture(scope="session")
def sample():
    from perfkit import load_dataset

    return load_dataset(SAMPLE)


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    """A writable copy of the sample dataset, for tests that break it."""
    target = tmp_path / "data"
    shutil.copytree(SAMPLE, target)
    return target


def write_two_quarters(target: Path) -> Path:
    """The sample plus a made-up quarter 1, so trends and direction of travel have data.

    Quarter 1 repeats quarter 2 with a few RAGs and values changed; it is test data, not a
    claim about what Chesterfield reported.
    """
    import pandas as pd

    shutil.copytree(SAMPLE, target)
    read = lambda name: pd.read_csv(target / f"{name}.csv", dtype=str, keep_default_na=False)
    ms = read("milestone_updates")
    q1 = ms.assign(quarter="1", progress="Quarter 1 progress note.")
    q1.loc[q1["milestone_id"].isin(["VFM1", "VFM2"]), "rag"] = "Green"   # declined by Q2
    q1.loc[q1["milestone_id"].isin(["TB3", "QL5"]), "rag"] = "Amber"     # improved by Q2
    pd.concat([q1, ms]).to_csv(target / "milestone_updates.csv", index=False)
    me = read("measure_updates")
    q1 = me.assign(quarter="1", comment="")
    q1.loc[q1["measure_id"] == "TB-M04", "value"] = "68%"        # missed -> met
    q1.loc[q1["measure_id"] == "QL-M08", "value"] = "5900"
    q1.loc[q1["measure_id"] == "VFM-M07", "value"] = "4.10"      # slower in Q1
    q1.loc[q1["measure_id"] == "VFM-M04", "value"] = "29%"
    pd.concat([q1, me]).to_csv(target / "measure_updates.csv", index=False)
    return target


def write_params(path: Path, data: Path, quarter: int, **extra: str) -> Path:
    lines = [f"data: {data}", 'year: "2022/23"', f"quarter: {quarter}",
             "organisation: Test Borough Council", *(f"{k}: {v}" for k, v in extra.items())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def two_quarters(tmp_path_factory) -> Path:
    return write_two_quarters(tmp_path_factory.mktemp("two") / "data")


@pytest.fixture(scope="session")
def rendered(shared_dir) -> Path:
    """The sample quarter rendered once through the CLI (PDFs too), shared by the report tests.

    Once for the whole run, not once per worker (:func:`build_once`). Read it, never write
    into it: copy it under tmp_path first (as test_publish does).
    """
    import subprocess
    import sys

    def render(out: Path) -> None:
        done = subprocess.run([sys.executable, "-m", "perfkit.cli", "report", str(PARAMS),
                               "--out", str(out), "--pdf"], cwd=ROOT, capture_output=True,
                              text=True, timeout=600)
        assert done.returncode == 0, done.stderr

    return build_once(shared_dir, "rendered", render) / "2022-23-Q2"


# --- running in parallel (pytest-xdist; see tests/README.md) ---------------------------------

# Hypothesis's per-example deadline (200 ms) is a timed test by another name: beside another
# worker, or other work on the machine, a fast example can miss it. A test's examples stay
# bounded by its max_examples.
hypothesis.settings.register_profile("perfkit", deadline=None)
hypothesis.settings.load_profile("perfkit")

# The repository's own folders: a test reads them and never writes into them (a test that did
# would race the other workers, and leave files behind). The session checks it at the end.
GUARDED = ("outputs", "notebooks", "params", "data")


def _snapshot_repository() -> dict[str, tuple[int, int]]:
    found = {}
    for folder in GUARDED:
        for path in (ROOT / folder).rglob("*"):
            if "__pycache__" in path.parts:
                continue
            try:
                stat = path.lstat()
            except OSError:
                continue
            found[str(path.relative_to(ROOT))] = (stat.st_size, stat.st_mtime_ns)
    return found


def _is_controller(config) -> bool:
    """The process that started the run: xdist's controller, or pytest without workers."""
    return not hasattr(config, "workerinput")


def pytest_sessionstart(session):
    if _is_controller(session.config):
        session.config._perfkit_repository = _snapshot_repository()


def pytest_sessionfinish(session, exitstatus):
    before = getattr(session.config, "_perfkit_repository", None)
    if before is None:
        return
    after = _snapshot_repository()
    changed = sorted(name for name in before.keys() | after.keys()
                     if before.get(name) != after.get(name))
    if changed:
        lines = "\n".join(f"  {name}" for name in changed[:20])
        session.config.get_terminal_writer().line(
            f"\nA test wrote into the repository's own folders (use tmp_path and --out under "
            f"it; see tests/README.md):\n{lines}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Start the slow tests first, longest first, so they overlap with the rest.

    Last of the hooks, after pytest's own reordering; every worker collects the same order.
    """
    def weight(item) -> float:
        # `slow(seconds)`: a rough figure from a quiet machine, for ordering only.
        mark = item.get_closest_marker("slow")
        return -(mark.args[0] if mark and mark.args else 60 if mark else 0)
    items.sort(key=weight)  # stable: the rest keep their collected order


_SHARED_FIXTURE = re.compile(r"@pytest\.fixture\([^\n]*scope=[\"'](module|class|package)[\"']")


@pytest.hookimpl(optionalhook=True)  # xdist's hook: `-p no:xdist` must still load this file
def pytest_xdist_make_scheduler(config, log):
    """Tests handed out one at a time, as they free up, except that a module with a module-
    (or class-) scoped fixture goes to one worker whole, so the fixture (a browser, a render
    of every scheme) is built once, not once per worker.

    xdist's own ``--dist loadgroup`` cannot do this here: it marks a group by rewriting each
    test's node id, which pytest 9.2 no longer reads, so every test ran alone. The groups are
    read from the modules' source, as the controller does not collect the tests itself.
    """
    from xdist.scheduler import LoadScopeScheduling

    grouped: dict[str, bool] = {}

    def shares_a_fixture(module: str) -> bool:
        if module not in grouped:
            try:
                text = (config.rootpath / module).read_text(encoding="utf-8")
            except OSError:
                text = ""
            grouped[module] = bool(_SHARED_FIXTURE.search(text))
        return grouped[module]

    class ByModuleFixture(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if shares_a_fixture(module) else nodeid

    return ByModuleFixture(config, log)


@pytest.fixture(scope="session")
def shared_dir(tmp_path_factory) -> Path:
    """A folder shared by every worker of this run (one run's, never another's)."""
    import os

    if os.environ.get("PYTEST_XDIST_WORKER"):
        return tmp_path_factory.getbasetemp().parent  # the run's basetemp; popen-gw0... below it
    return tmp_path_factory.getbasetemp()


def build_once(shared: Path, name: str, build) -> Path:
    """``build(folder)`` run once for the whole run, whichever worker asks first; the others wait
    for it and share the folder. Its failure is every asker's failure (one build, one error)."""
    import fcntl

    folder, built, failed = (shared / f"{name}{end}" for end in ("", ".built", ".failed"))
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if failed.exists():
            pytest.fail(failed.read_text(encoding="utf-8"), pytrace=False)
        if not built.exists():
            shutil.rmtree(folder, ignore_errors=True)  # a build killed half-way
            folder.mkdir()
            try:
                build(folder)
            except BaseException as error:
                failed.write_text(f"{name}: {error}", encoding="utf-8")
                raise
            built.touch()
    return folder
