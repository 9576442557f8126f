"""Links planted in the output tree: never followed, never written through, never re-moded.

Anyone who can write into a quarter's folder (group-writable under a shared umask) can plant
a link there. Each case plants one pointing at a private folder beside the output root, runs
a publish, and checks that the private folder is byte- and mode-identical afterwards and
that nothing was created outside the output root.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import PARAMS, ROOT
from perfkit.errors import OutputError
from perfkit.publish import keep_failed, lock_path, publishing

SLUG = "2022-23-Q2"


def snapshot(top: Path) -> dict[str, tuple]:
    """Every entry under ``top`` (links not followed): its mode, and its bytes or link target."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(top):
        for name in [*dirnames, *filenames]:
            path = Path(dirpath) / name
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                body = ("link", os.readlink(path))
            elif stat.S_ISREG(info.st_mode):
                body = ("file", path.read_bytes())
            else:
                body = ("other",)
            found[str(path.relative_to(top))] = (stat.S_IMODE(info.st_mode), *body)
    return found


@pytest.fixture
def tree(tmp_path, monkeypatch):
    """An output root with a published set, a private folder beside it, a private lock folder."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    out, private = tmp_path / "out", tmp_path / "private"
    private.mkdir()
    (private / "key").write_bytes(b"-----BEGIN PRIVATE KEY-----\n")
    (private / "key").chmod(0o600)
    (private / "inner").mkdir()
    (private / "inner" / "secret.txt").write_bytes(b"not for the public")
    (private / "inner" / "secret.txt").chmod(0o600)
    with publishing(out, SLUG) as staging:
        staging.write("report.html", "good")
    return out, private


def outside(tmp_path: Path) -> set[str]:
    """What exists under tmp_path outside the output root and the lock folder."""
    return {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")
            if not p.is_relative_to(tmp_path / "out") and not p.is_relative_to(tmp_path / "state")}


def publish_again(out: Path, body: str = "new") -> None:
    with publishing(out, SLUG) as staging:
        staging.write("report.html", body)


def test_the_lock_lives_outside_the_output_root_and_is_gone_after_the_run(tree, tmp_path):
    out, _ = tree
    assert sorted(p.name for p in out.iterdir()) == [SLUG]
    with publishing(out, SLUG):
        held = lock_path(out.resolve(), SLUG)
        assert held.is_relative_to(tmp_path / "state")
        assert held.read_text() == str(os.getpid())
    assert not held.exists()
    assert stat.S_IMODE((tmp_path / "state" / "perfkit" / "locks").stat().st_mode) == 0o700


def test_a_link_at_the_old_lock_name_is_never_opened(tree, tmp_path):
    out, private = tree
    (out / f".{SLUG}.lock").symlink_to(private / "key")
    (out / ".2022-23-Q3.lock").symlink_to(tmp_path / "nowhere")  # dangling
    before, made = snapshot(private), outside(tmp_path)
    publish_again(out)
    assert snapshot(private) == before and outside(tmp_path) == made
    assert not (tmp_path / "nowhere").exists()


def test_a_link_at_the_lock_itself_is_refused_not_written_through(tree, tmp_path):
    out, private = tree
    lock = lock_path(out.resolve(), SLUG)
    lock.symlink_to(private / "key")
    before = snapshot(private)
    with pytest.raises(OutputError, match="cannot write"):
        publish_again(out)
    assert snapshot(private) == before
    assert (out / SLUG / "report.html").read_text() == "good"


def test_an_officers_own_file_and_folder_are_carried_with_their_mode(tree):
    out, _ = tree
    (out / SLUG / "notes.txt").write_bytes(b"mine")
    (out / SLUG / "notes.txt").chmod(0o600)
    (out / SLUG / "minutes").mkdir()
    (out / SLUG / "minutes" / "q2.txt").write_bytes(b"minutes")
    (out / SLUG / "minutes" / "q2.txt").chmod(0o640)
    publish_again(out)
    assert (out / SLUG / "report.html").read_text() == "new"
    assert stat.S_IMODE((out / SLUG / "notes.txt").stat().st_mode) == 0o600
    assert stat.S_IMODE((out / SLUG / "minutes" / "q2.txt").stat().st_mode) == 0o640
    assert (out / SLUG / "minutes" / "q2.txt").read_bytes() == b"minutes"


def _file_link(out, private, tmp_path):
    (out / SLUG / "notes.txt").symlink_to(private / "key")
    return "notes.txt"


def _folder_link(out, private, tmp_path):
    (out / SLUG / "papers").symlink_to(private / "inner")
    return "papers"


def _link_inside_a_folder(out, private, tmp_path):
    (out / SLUG / "minutes").mkdir()
    (out / SLUG / "minutes" / "key").symlink_to(private / "key")
    return "minutes/key"


def _dangling(out, private, tmp_path):
    (out / SLUG / "draft.txt").symlink_to(tmp_path / "created-by-perfkit")
    return "draft.txt"


def _other_file_system(out, private, tmp_path):
    (out / SLUG / "version").symlink_to("/proc/version")
    return "version"


def _loop(out, private, tmp_path):
    (out / SLUG / "a").symlink_to(out / SLUG / "b")
    (out / SLUG / "b").symlink_to(out / SLUG / "a")
    return "a"


def _fifo(out, private, tmp_path):
    os.mkfifo(out / SLUG / "pipe")
    return "pipe"


@pytest.mark.parametrize("plant", [_file_link, _folder_link, _link_inside_a_folder, _dangling,
                                   _other_file_system, _loop, _fifo])
def test_a_planted_link_is_refused_naming_it_and_its_target_is_untouched(tree, tmp_path,
                                                                          plant):
    out, private = tree
    name = plant(out, private, tmp_path)
    before, made, published = snapshot(private), outside(tmp_path), snapshot(out / SLUG)
    with pytest.raises(OutputError) as refused:
        publish_again(out)
    message = str(refused.value)
    assert str(out.resolve() / SLUG / name) in message and "nothing was published" in message.lower()
    assert snapshot(private) == before and outside(tmp_path) == made
    assert snapshot(out / SLUG) == published
    assert not list(out.glob(".*staging*"))


def test_a_mount_point_in_the_folder_is_refused(tree, tmp_path):
    out, private = tree
    point = out / SLUG / "share"
    point.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(point)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}); CI runs as root")
    try:
        (point / "x.txt").write_text("on another file system")
        with pytest.raises(OutputError, match="another file system"):
            publish_again(out)
        assert (out / SLUG / "report.html").read_text() == "good"
    finally:
        subprocess.run(["umount", "-l", str(point)], capture_output=True)


def test_the_folder_swapped_for_a_link_mid_run_is_refused_and_nothing_is_re_moded(tree,
                                                                                   tmp_path):
    out, private = tree
    (out / SLUG / "notes.txt").write_bytes(b"mine")
    before, made = snapshot(private), outside(tmp_path)
    with pytest.raises(OutputError, match="is a link or not a folder"):
        with publishing(out, SLUG) as staging:
            staging.write("report.html", "new")
            (out / SLUG).rename(out / "moved")
            (out / SLUG).symlink_to(private)
    assert snapshot(private) == before and outside(tmp_path) == made
    assert (out / SLUG).is_symlink()  # left as it was found, for the officer to see


def test_a_diagnostic_is_never_written_through_a_linked_folder(tree, tmp_path):
    out, private = tree
    (out / SLUG).rename(out / "moved")
    (out / SLUG).symlink_to(private)
    before = snapshot(private)
    with pytest.raises(OutputError):
        keep_failed(out, SLUG, "report.failed.ipynb", "{}")
    assert snapshot(private) == before


def test_a_planted_diagnostic_link_is_replaced_not_written_through(tree):
    out, private = tree
    (out / SLUG / "report.failed.ipynb").symlink_to(private / "key")
    before = snapshot(private)
    keep_failed(out, SLUG, "report.failed.ipynb", "{}")
    assert snapshot(private) == before
    assert not (out / SLUG / "report.failed.ipynb").is_symlink()


def test_the_cli_refuses_a_planted_link_with_exit_2(tmp_path):
    out, private = tmp_path / "out", tmp_path / "private"
    private.mkdir()
    (private / "key").write_bytes(b"secret")
    (private / "key").chmod(0o600)
    (out / SLUG).mkdir(parents=True)
    (out / SLUG / "notes.txt").symlink_to(private / "key")
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")}
    done = subprocess.run([sys.executable, "-m", "perfkit.cli", "report", str(PARAMS), "--out",
                           str(out), "--quiet"], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, env=env)
    assert done.returncode == 2, done.stderr
    assert "notes.txt: is a symbolic link" in done.stderr and "Traceback" not in done.stderr
    assert (private / "key").read_bytes() == b"secret"
    assert stat.S_IMODE((private / "key").stat().st_mode) == 0o600
    assert sorted(p.name for p in out.iterdir()) == [SLUG]
