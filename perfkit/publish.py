"""Publish one quarter's outputs as a set: a reader, or a crash, sees the old set or the new.

A run writes every file of the quarter (report.html, report.ipynb, summary.json, and
cabinet.html and the PDFs where made) into a hidden staging folder beside the published
one, in the output root. Only when all are written is the staging folder swapped with the
published folder in one ``renameat2(RENAME_EXCHANGE)`` call, so no moment exists at which the
folder holds files from two runs. A lock file per quarter stops two runs writing the same
quarter at once: the second fails at once with exit code 2, naming the run that holds it.

Nothing the run writes lands in the published folder before the swap, so a run killed at
any point (SIGKILL included) leaves the last good set untouched; its staging folder is
swept by the next run of that quarter.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import shutil
import tempfile
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from perfkit.errors import OutputBusyError, OutputError

#: The files perfkit writes into a quarter's folder. Anything else found there (an
#: officer's own notes, say) is carried over into the new set, never deleted.
OUTPUTS = frozenset({"report.html", "report.ipynb", "summary.json", "cabinet.html",
                     "report.pdf", "cabinet.pdf", "report.failed.ipynb", "figures.csv"})

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
# Errors that mean the output root cannot take the files, as opposed to a bug.
_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS,
                  errno.EFBIG}


@dataclass(frozen=True)
class Staging:
    """The folder a run writes its set into, and where the set will be published."""

    path: Path
    folder: Path

    def write(self, name: str, content: str | bytes) -> Path:
        """Write one file of the set; a full disk or a refused write names the file.

        >>> import tempfile
        >>> with publishing(Path(tempfile.mkdtemp()), "2022-23-Q2") as staging:
        ...     _ = staging.write("summary.json", "{}")
        >>> (staging.folder / "summary.json").read_text()
        '{}'
        """
        target = self.path / name
        try:
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
        except OSError as err:
            raise _output_error(err, self.folder / name) from None
        return target


@contextmanager
def publishing(out_root: str | Path, slug: str) -> Iterator[Staging]:
    """Hold the quarter's lock and a staging folder; publish it whole when the block ends.

    On an exception (or a signal raised as one) the staging folder is removed and the
    published folder is left exactly as it was.
    """
    root = Path(out_root).resolve()
    folder = root / slug
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise _output_error(err, root) from None
    if not os.access(root, os.W_OK | os.X_OK):
        why = ("the file system is read-only" if os.statvfs(root).f_flag & os.ST_RDONLY
               else "permission denied")
        raise OutputError(f"{root}: the output folder cannot be written to ({why}; "
                          "allowed: a folder this user can write)")
    with _locked(root, slug):
        _sweep(root, slug)
        try:
            staging = Path(tempfile.mkdtemp(prefix=f".{slug}.staging-", dir=root))
        except OSError as err:
            raise _output_error(err, root) from None
        try:
            yield Staging(staging, folder)
            _carry_over(folder, staging)
            _sync(staging)
            _swap(staging, folder)
        except OSError as err:
            shutil.rmtree(staging, ignore_errors=True)
            if err.errno in _OUTPUT_ERRNOS:
                raise _output_error(err, Path(err.filename) if err.filename else folder) \
                    from None
            raise
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        # After the exchange the staging path holds the previous set.
        shutil.rmtree(staging, ignore_errors=True)


def keep_failed(out_root: str | Path, slug: str, name: str, content: str | bytes) -> Path:
    """Write a diagnostic (such as ``report.failed.ipynb``) into the published folder.

    It is not part of the set: the last good report stays as it was, and the next good
    run's set does not carry it over.
    """
    folder = Path(out_root).resolve() / slug
    target = folder / name
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "wb") as handle:
            handle.write(content.encode("utf-8") if isinstance(content, str) else content)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except OSError as err:
        raise _output_error(err, target) from None
    return target


# --- the parts ------------------------------------------------------------------------------

@contextmanager
def _locked(root: Path, slug: str) -> Iterator[None]:
    path = root / f".{slug}.lock"
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as err:
        raise _output_error(err, path) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            raise OutputBusyError(
                f"{root / slug}: another perfkit run (process {holder}) is writing this "
                "quarter; run again when it has finished") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock; a killed run's lock dies with it


def _sweep(root: Path, slug: str) -> None:
    """Remove staging folders left by runs that were killed (we hold the lock: none is live).

    A run killed half-way through the fallback swap left the old set aside: put it back.
    """
    folder = root / slug
    aside = sorted(root.glob(f".{slug}.staging-*-old"))
    if aside and not folder.exists():
        os.rename(aside[-1], folder)
    for stale in root.glob(f".{slug}.staging-*"):
        shutil.rmtree(stale, ignore_errors=True)


def _carry_over(folder: Path, staging: Path) -> None:
    """Hard-link files that perfkit did not write into the new set, so none is lost."""
    if not folder.is_dir():
        return
    for item in folder.iterdir():
        if item.name in OUTPUTS or item.name.startswith(".") or (staging / item.name).exists():
            continue
        if item.is_file():
            os.link(item, staging / item.name)
        elif item.is_dir():
            shutil.copytree(item, staging / item.name, copy_function=os.link)


def _sync(staging: Path) -> None:
    """Flush the new files to disk before they are published, so a power cut cannot leave
    a published set of empty files."""
    mode = 0o777 & ~_umask()
    os.chmod(staging, mode)  # mkdtemp makes 0700; reports are for sharing
    for item in staging.iterdir():
        if item.is_file():
            os.chmod(item, 0o666 & ~_umask())
            with open(item, "rb") as handle:
                os.fsync(handle.fileno())
    dir_fd = os.open(staging, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _swap(staging: Path, folder: Path) -> None:
    if not folder.exists():
        os.rename(staging, folder)
        return
    if not folder.is_dir() or folder.is_symlink():
        raise OutputError(f"{folder}: is not a folder perfkit can publish into "
                          "(allowed: a folder, or nothing, at this path)")
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is not None and renameat2(_AT_FDCWD, os.fsencode(staging), _AT_FDCWD,
                                           os.fsencode(folder), _RENAME_EXCHANGE) == 0:
        return
    # A file system without the exchange: the old set is moved aside, then the new one
    # moved in. A reader may find no folder for that instant, but never a mixed one.
    aside = staging.with_name(staging.name + "-old")
    os.rename(folder, aside)
    os.rename(staging, folder)
    os.rename(aside, staging)


def _output_error(err: OSError, path: Path) -> OutputError:
    reason = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
              errno.EACCES: "permission denied", errno.EPERM: "permission denied",
              errno.EROFS: "the file system is read-only"}.get(err.errno, err.strerror)
    return OutputError(f"{path}: cannot write the report ({reason}); nothing was published "
                       "and the last good report is unchanged")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def publish_index(out_root: str | Path, build: Callable[[Path], str]) -> Path:
    """Rewrite ``index.html`` at the output root from what is published there now.

    Called after a quarter's set is published. ``build`` reads the root and returns the
    page. Runs of different quarters take turns on the root's index lock, so each builds
    from every set published before it and the last to finish lists them all; the page is
    written beside the old one and renamed over it, so a reader sees the old index or the
    new one, never half of one. A quarter that failed was never swapped in, so its last
    good set, and its entry, are still there.
    """
    root = Path(out_root).resolve()
    target = root / "index.html"
    try:
        fd = os.open(root / ".index.lock", os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as err:
        raise _index_error(err, root / ".index.lock") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # held only while one page is built and renamed
        for stale in root.glob(".index.html.*.tmp"):  # left by a run killed while writing
            with suppress(OSError):
                stale.unlink()
        page = build(root)
        handle, tmp = tempfile.mkstemp(prefix=".index.html.", suffix=".tmp", dir=root)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(page.encode("utf-8"))
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o666 & ~_umask())
            os.replace(tmp, target)  # replaces a link at that name, never what it points at
        except BaseException:
            with suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as err:
        raise _index_error(err, target) from None
    finally:
        os.close(fd)
    return target


def _index_error(err: OSError, path: Path) -> OutputError:
    reason = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
              errno.EACCES: "permission denied", errno.EPERM: "permission denied",
              errno.EROFS: "the file system is read-only"}.get(err.errno, err.strerror)
    return OutputError(f"{path}: cannot rewrite the index of quarters ({reason}); the "
                       "quarter's own set was published, and the last index is unchanged")
