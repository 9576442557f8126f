"""One run's outputs, whole or not at all: the set, the lock, a full disk and kills mid-write."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import PARAMS, ROOT, SAMPLE
from perfkit.errors import OutputBusyError
from perfkit.publish import keep_failed, publishing

SLUG = "2022-23-Q2"


def published(root: Path) -> dict[str, bytes]:
    folder = root / SLUG
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else {}


# --- the set, in-process ----------------------------------------------------------------------

def test_a_set_is_published_whole_and_replaces_the_old_one(tmp_path):
    with publishing(tmp_path, SLUG) as staging:
        staging.write("report.html", "old page")
        staging.write("summary.json", "{}")
        staging.write("cabinet.html", "old cabinet")
    (tmp_path / SLUG / "notes.txt").write_text("an officer's own file")
    with publishing(tmp_path, SLUG) as staging:
        # Nothing of the new set is visible until the block ends.
        staging.write("report.html", "new page")
        assert (tmp_path / SLUG / "report.html").read_text() == "old page"
        staging.write("summary.json", '{"new": 1}')
    # cabinet.html was not in the new set: it goes with the old one. notes.txt is kept.
    assert published(tmp_path) == {"notes.txt": b"an officer's own file",
                                   "report.html": b"new page", "summary.json": b'{"new": 1}'}
    assert sorted(p.name for p in tmp_path.iterdir()) == [SLUG]


def test_a_failed_run_leaves_the_old_set_and_no_scratch(tmp_path):
    with publishing(tmp_path, SLUG) as staging:
        staging.write("report.html", "good")
    with pytest.raises(RuntimeError):
        with publishing(tmp_path, SLUG) as staging:
            staging.write("report.html", "half")
            raise RuntimeError("the notebook failed")
    keep_failed(tmp_path, SLUG, "report.failed.ipynb", "{}")
    assert published(tmp_path) == {"report.failed.ipynb": b"{}", "report.html": b"good"}
    assert not list(tmp_path.glob(".*staging*"))
    # The next good run's set does not carry the old diagnostic over.
    with publishing(tmp_path, SLUG) as staging:
        staging.write("report.html", "better")
    assert published(tmp_path) == {"report.html": b"better"}


def test_a_killed_runs_staging_folder_is_swept_by_the_next_run(tmp_path):
    stale = tmp_path / f".{SLUG}.staging-dead"
    stale.mkdir()
    (stale / "report.html").write_text("from a run killed with SIGKILL")
    with publishing(tmp_path, SLUG) as staging:
        staging.write("report.html", "new")
    assert not stale.exists()


def test_a_second_run_on_the_same_quarter_is_refused(tmp_path):
    with publishing(tmp_path, SLUG):
        with pytest.raises(OutputBusyError, match=rf"process {os.getpid()}\) is writing"):
            with publishing(tmp_path, SLUG):
                pass
        with publishing(tmp_path, "2022-23-Q3"):  # another quarter is not blocked
            pass


def test_a_second_run_through_the_cli_exits_2_naming_the_folder(tmp_path):
    with publishing(tmp_path, SLUG) as staging:
        staging.write("report.html", "in progress")
        done = subprocess.run([sys.executable, "-m", "perfkit.cli", "report", str(PARAMS),
                               "--out", str(tmp_path), "--quiet"], cwd=ROOT,
                              capture_output=True, text=True, timeout=600)
    assert done.returncode == 2, done.stderr
    assert f"{tmp_path / SLUG}: another perfkit run (process {os.getpid()})" in done.stderr
    assert "Traceback" not in done.stderr
    assert published(tmp_path) == {"report.html": b"in progress"}


# --- file systems that refuse -----------------------------------------------------------------

@pytest.fixture
def tmpfs(tmp_path):
    """A real small file system, mounted for the test (needs root, as CI runs)."""
    point = tmp_path / "fs"
    point.mkdir()

    def mount(*options: str) -> Path:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join(options), "tmpfs",
                               str(point)], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}); CI runs as root")
        return point

    yield mount
    subprocess.run(["umount", "-l", str(point)], capture_output=True)


def run_report(out: Path, params: Path = PARAMS) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "perfkit.cli", "report", str(params),
                           "--out", str(out), "--quiet"], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


def test_a_full_disk_names_the_path_and_keeps_the_last_good_report(tmpfs, rendered):
    size = sum(p.stat().st_size for p in rendered.iterdir())
    # Room for one set but not for a second one beside it, as on a nearly full share.
    out = tmpfs(f"size={int(size * 1.5)}")
    shutil.copytree(rendered, out / SLUG)
    before = published(out)
    done = run_report(out)
    assert done.returncode == 2, done.stderr
    assert "the disk is full" in done.stderr and str(out) in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and "Errno" not in done.stderr
    assert published(out) == before
    assert not list(out.glob(".*staging*"))


def test_a_read_only_output_folder_is_a_clear_error(tmpfs):
    out = tmpfs("size=1m", "ro")
    done = run_report(out)
    assert done.returncode == 2
    assert done.stderr.strip().startswith(f"perfkit: {out}") and "read-only" in done.stderr
    assert "Traceback" not in done.stderr


# --- killed at every point of the write phase -------------------------------------------------

# Runs the real CLI with an audit hook that counts the run's file-system writes under the
# output root and sends the process a signal at the n-th one: every point of the write
# phase can be hit, not just those a timer happens to land on.
KILLER = r"""
import os, sys
root, at, sig = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
seen, started = set(), False
WRITES = os.O_WRONLY | os.O_RDWR | os.O_CREAT
def hook(event, args):
    # From the moment this run's staging folder exists, each distinct write, rename, link,
    # chmod or removal under the output root is one point of the write phase (papermill
    # may save the same notebook a varying number of times: that is one point).
    global started
    if event == "os.mkdir" and ".staging-" in str(args[0]):
        started = True
    if not started:
        return
    if event == "open":
        if not (isinstance(args[0], str) and args[0].startswith(root) and args[2] & WRITES):
            return
    elif event in ("os.rename", "os.link", "os.mkdir", "os.remove", "os.rmdir", "os.chmod",
                   "shutil.rmtree"):
        if not str(args[0]).startswith(root):
            return
    else:
        return
    point = (event, str(args[0]))
    if point in seen:
        return
    seen.add(point)
    if len(seen) == at:
        os.kill(os.getpid(), sig)
sys.addaudithook(hook)
from perfkit.cli import main
code = main(sys.argv[4:])
print(f"events={len(seen)}", file=sys.stderr)
sys.exit(code)
"""


def version_b(tmp_path: Path) -> Path:
    """The sample with one milestone moved from amber to green: 32 progressing well (89%)."""
    data = tmp_path / "data-b"
    shutil.copytree(SAMPLE, data)
    updates = data / "milestone_updates.csv"
    lines = updates.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("2022/23,2,VFM1,"))
    lines[at] = lines[at].replace(",Amber,", ",Green,", 1)
    updates.write_text("".join(lines), encoding="utf-8")
    params = tmp_path / "b.yaml"
    # A params file outside the project names no notebook of its own: perfkit's is run.
    params.write_text(PARAMS.read_text(encoding="utf-8").replace("data/chesterfield", str(data))
                      .replace("notebook: notebooks/quarterly_report.ipynb\n", ""),
                      encoding="utf-8")
    covering = PARAMS.parent / "2022-23-Q2-cabinet.md"
    params.write_text(params.read_text(encoding="utf-8").replace(
        "params/2022-23-Q2-cabinet.md", str(covering)), encoding="utf-8")
    return params


def which_run(folder: Path) -> str:
    """"A" or "B" if every file of the published set comes from that run; else what is mixed."""
    marks = {"A": ("31 (86%)", "86%", '"green": 31'), "B": ("32 (89%)", "89%", '"green": 32')}
    found = {}
    for name, needle in (("report.html", 0), ("report.ipynb", 0), ("cabinet.html", 1),
                         ("summary.json", 2)):
        text = (folder / name).read_text(encoding="utf-8")
        found[name] = "".join(run for run, m in marks.items() if m[needle] in text)
    runs = set(found.values())
    return runs.pop() if len(runs) == 1 and len(next(iter(runs), "")) == 1 else str(found)


def headline_notebook(tmp_path: Path) -> Path:
    """perfkit's notebook down to its headline section: the same set of files to publish (the
    pages carry the headline which_run reads), without the charts and tables a trial of the
    write phase does not need (each trial is a whole run: 20 of them)."""
    import nbformat

    notebook = nbformat.read(ROOT / "perfkit" / "notebooks" / "quarterly_report.ipynb", 4)
    notebook.cells = [c for c in notebook.cells if c.cell_type == "code" and (
        not c.source.startswith("report.") or c.source.startswith("report.summary_section"))]
    path = tmp_path / "headline.ipynb"
    nbformat.write(notebook, path)
    return path


def killed_run(out: Path, params: Path, at: int, sig: int,
               notebook: Path | None = None) -> subprocess.CompletedProcess:
    own = ["--notebook", str(notebook)] if notebook else []
    return subprocess.run([sys.executable, "-c", KILLER, str(out), str(at), str(sig), "report",
                           str(params), "--out", str(out), "--quiet", *own], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.slow(80)
def test_killed_at_any_point_of_the_write_phase_the_set_is_from_one_run(tmp_path, rendered):
    assert "covering" in PARAMS.read_text()
    params = {"A": PARAMS, "B": version_b(tmp_path)}
    out = tmp_path / "out"
    shutil.copytree(rendered, out / SLUG)
    assert which_run(out / SLUG) == "A"
    notebook = headline_notebook(tmp_path)
    count = killed_run(out, params["B"], 0, signal.SIGKILL, notebook)  # 0: never fires; counts
    assert count.returncode == 0, count.stderr
    events = int(count.stderr.rsplit("events=", 1)[1])
    assert which_run(out / SLUG) == "B"
    # Every point of the write phase (at least 20), each signal in turn.
    points = list(range(1, events + 1))
    assert len(points) >= 10, events
    points = (points * 2)[:max(20, events)]
    signals = [signal.SIGKILL, signal.SIGTERM, signal.SIGINT]
    outcomes = []
    for trial, at in enumerate(points):
        now = which_run(out / SLUG)
        other = "A" if now == "B" else "B"
        sig = signals[trial % len(signals)]
        done = killed_run(out, params[other], at, sig, notebook)
        after = which_run(out / SLUG)
        outcomes.append((at, sig.name, done.returncode, after))
        assert after in (now, other), (at, sig.name, after)
        assert after == other or done.returncode != 0, (at, sig.name, done.stderr)
        names = {p.name for p in (out / SLUG).iterdir()}
        assert names <= {"report.html", "report.ipynb", "summary.json", "cabinet.html",
                         "figures.csv"}, names
    # Both outcomes happened: kills before the swap kept the old set, later ones the new.
    assert {o[3] for o in outcomes} == {"A", "B"}, (events, str(outcomes))
    # A good run afterwards sweeps whatever the killed runs left in the output root.
    assert run_report(out).returncode == 0
    assert sorted(p.name for p in out.iterdir()) == [SLUG, "index.html"]
