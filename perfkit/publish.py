"""Publish one quarter's outputs as a set: a reader, or a crash, sees the old set or the new.

A run writes every file of the quarter (report.html, report.ipynb, summary.json, and
cabinet.html and the PDFs where made) into a hidden staging folder beside the published
one, in the output root. Only when all are written is the staging folder swapped with the
published folder in one ``renameat2(RENAME_EXCHANGE)`` call, so no moment exists at which the
folder holds files from two runs. A lock per quarter stops two runs writing the same
quarter at once: the second fails at once with exit code 2, naming the run that holds it.

The lock lives outside the output root, in this user's private state folder
(``$XDG_STATE_HOME/perfkit/locks``, by default ``~/.local/state/perfkit/locks``), one file per
output root and quarter, named by the root's device and inode (so two paths to one root
share it) and removed when the run ends: once a run has ended the published tree holds
nothing but the sets. Nobody else can write there, and it is opened with ``O_NOFOLLOW``.

Nothing in the output tree is followed through a link. The quarter's folder is opened with
``O_NOFOLLOW`` and read through that descriptor; an officer's own files in it are carried
into the new set as the same files (hard links: same bytes, same mode, same owner); a
symbolic link, a device, a pipe, or a file on another file system found there is refused
with exit code 2, naming it, before anything is published. Only the files this run wrote
are given the set's mode.

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
import stat
import tempfile
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from perfkit.errors import OutputBusyError, OutputError

#: The files perfkit writes into a quarter's folder. Anything else found there (an
#: officer's own notes, say) is carried over into the new set, never deleted.
OUTPUTS = frozenset({"report.html", "report.ipynb", "summary.json", "cabinet.html",
                     "report.pdf", "cabinet.pdf", "report.docx", "cabinet.docx",
                     "report.failed.ipynb", "figures.csv"})

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
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        try:
            # Never through a link, even in our own 0700 staging folder.
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
                         | os.O_CLOEXEC, 0o666)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
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
            _sync(staging)  # only what this run wrote: carried files keep their own mode
            held = _carry_over(folder, staging)
            _sync_folder(staging)
            _swap(staging, folder, held)
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
        _remove(staging)


def keep_failed(out_root: str | Path, slug: str, name: str, content: str | bytes) -> Path:
    """Write a diagnostic (such as ``report.failed.ipynb``) into the published folder.

    It is not part of the set: the last good report stays as it was, and the next good
    run's set does not carry it over.
    """
    folder = Path(out_root).resolve() / slug
    target = folder / name
    try:
        folder.mkdir(parents=True, exist_ok=True)
        dir_fd = _open_folder(folder)
    except OSError as err:
        raise _output_error(err, target) from None
    try:
        tmp = f".{name}.{os.urandom(6).hex()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                     0o600, dir_fd=dir_fd)
        with os.fdopen(fd, "wb") as handle:
            handle.write(content.encode("utf-8") if isinstance(content, str) else content)
            os.fchmod(handle.fileno(), 0o666 & ~_umask())
        # A rename replaces a planted link; it never writes through one.
        os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except OSError as err:
        raise _output_error(err, target) from None
    finally:
        os.close(dir_fd)
    return target


# --- the parts ------------------------------------------------------------------------------

def lock_folder() -> Path:
    """This user's private folder for locks: ``$XDG_STATE_HOME/perfkit/locks``."""
    from perfkit.state import private_folder

    return private_folder("locks")


def lock_path(root: Path, slug: str) -> Path:
    """The lock of one quarter in one output root (by the root's device and inode)."""
    info = os.stat(root)
    return lock_folder() / f"{info.st_dev:x}-{info.st_ino:x}-{slug}.lock"


@contextmanager
def _locked(root: Path, slug: str) -> Iterator[None]:
    path = lock_path(root, slug)
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        except OSError as err:
            raise _output_error(err, path) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise OutputBusyError(
                f"{root / slug}: another perfkit run (process {holder}) is writing this "
                "quarter; run again when it has finished") from None
        # The run before may have removed the file between our open and our lock: then
        # the lock we hold is on a name nobody else will open. Open it again.
        try:
            same = os.stat(path, follow_symlinks=False).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        try:
            os.unlink(path)  # removed while held, so no run can lock a stale copy
        except OSError:
            pass
        os.close(fd)  # closing releases the lock; a killed run's lock dies with it


def _sweep(root: Path, slug: str) -> None:
    """Remove staging folders left by runs that were killed (we hold the lock: none is live).

    A run killed half-way through the fallback swap left the old set aside: put it back.
    Only this user's are touched: the lock is this user's.
    """
    folder = root / slug
    uid = os.getuid()

    def mine(path: Path) -> bool:
        try:
            return os.lstat(path).st_uid == uid
        except OSError:
            return False
    aside = sorted(p for p in root.glob(f".{slug}.staging-*-old")
                   if not p.is_symlink() and p.is_dir() and mine(p))
    if aside and not os.path.lexists(folder):
        os.rename(aside[-1], folder)
    for stale in root.glob(f".{slug}.staging-*"):
        if mine(stale):
            _remove(stale)


def _remove(path: Path) -> None:
    """Remove a staging folder, or a link swapped in for one, never following a link."""
    try:
        if path.is_symlink() or not path.is_dir():
            path.unlink()
        else:
            shutil.rmtree(path, ignore_errors=True)
    except OSError:
        pass


class CarryOverError(OutputError):
    """Something in the quarter's folder cannot be carried into the new set safely."""


def _open_folder(folder: Path) -> int:
    return os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)


def _carry_over(folder: Path, staging: Path) -> tuple[int, int] | None:
    """Hard-link files that perfkit did not write into the new set, so none is lost.

    The folder is read through one descriptor opened without following a link, and nothing
    in it is followed: a regular file is carried as the same file (its bytes, mode and
    owner untouched), a folder as a new folder holding the same files. A link, a device, a
    pipe, or anything on another file system is refused, every one named, and nothing is
    published. Returns the folder's (device, inode), so the swap can check it is the same.
    """
    try:
        dir_fd = _open_folder(folder)
    except FileNotFoundError:
        return None
    except OSError as err:
        if err.errno in (errno.ELOOP, errno.ENOTDIR):
            raise CarryOverError(f"{folder}: is a link or not a folder (allowed: a folder, "
                                 "or nothing, at this path); nothing was published and the "
                                 "last good report is unchanged") from None
        raise
    problems: list[str] = []
    try:
        top = os.fstat(dir_fd)
        _carry_tree(dir_fd, folder, os.open(staging, os.O_RDONLY | os.O_DIRECTORY
                                            | os.O_NOFOLLOW | os.O_CLOEXEC),
                    top.st_dev, problems, depth=0, skip=OUTPUTS)
    finally:
        os.close(dir_fd)
    if problems:
        shown = problems[:20] + ([f"... and {len(problems) - 20} more"]
                                 if len(problems) > 20 else [])
        raise CarryOverError(
            f"{folder}: {len(problems)} item{'s' if len(problems) != 1 else ''} in the "
            "quarter's folder cannot be carried into the new set (allowed: regular files "
            "and folders on the same file system; perfkit never follows a link in the "
            "output folder). Nothing was published and the last good report is unchanged:\n"
            + "\n".join(f"  - {p}" for p in shown))
    return top.st_dev, top.st_ino


_MAX_DEPTH = 32  # an officer's folders; deeper is a loop made of bind mounts or a mistake


def _carry_tree(src_fd: int, src: Path, dst_fd: int, device: int, problems: list[str],
                depth: int, skip: frozenset = frozenset()) -> None:
    try:
        for entry in sorted(os.scandir(src_fd), key=lambda e: e.name):
            name = entry.name
            if name in skip or name.startswith("."):
                continue
            where = src / name
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError as err:
                problems.append(f"{where}: cannot be read ({err.strerror})")
                continue
            if stat.S_ISLNK(info.st_mode):
                try:
                    target = os.readlink(name, dir_fd=src_fd)
                except OSError:
                    target = "?"
                problems.append(f"{where}: is a symbolic link (to {target})")
            elif info.st_dev != device:
                problems.append(f"{where}: is on another file system (a mount point)")
            elif stat.S_ISREG(info.st_mode):
                try:
                    os.link(name, name, src_dir_fd=src_fd, dst_dir_fd=dst_fd,
                            follow_symlinks=False)
                except FileExistsError:
                    pass  # a file of this run's set has the name; the new one wins
                except OSError as err:
                    if err.errno in _OUTPUT_ERRNOS - {errno.EACCES, errno.EPERM}:
                        raise
                    problems.append(f"{where}: cannot be carried over ({err.strerror}; "
                                    "perfkit carries files it may link, as their owner can)")
            elif stat.S_ISDIR(info.st_mode):
                if depth >= _MAX_DEPTH:
                    problems.append(f"{where}: is more than {_MAX_DEPTH} folders deep")
                    continue
                try:
                    sub_fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
                                     | os.O_CLOEXEC, dir_fd=src_fd)
                except OSError as err:
                    problems.append(f"{where}: cannot be read ({err.strerror})")
                    continue
                try:
                    os.mkdir(name, 0o700, dir_fd=dst_fd)
                    new_fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
                                     | os.O_CLOEXEC, dir_fd=dst_fd)
                    os.fchmod(new_fd, stat.S_IMODE(info.st_mode))  # a folder we made
                    _carry_tree(sub_fd, where, new_fd, device, problems, depth + 1)
                finally:
                    os.close(sub_fd)
            else:
                problems.append(f"{where}: is not a regular file or folder (a device, pipe "
                                "or socket)")
    finally:
        os.close(dst_fd)


def _sync(staging: Path) -> None:
    """Give the files this run wrote the set's mode and flush them to disk before they are
    published, so a power cut cannot leave a published set of empty files."""
    mode = 0o777 & ~_umask()
    os.chmod(staging, mode)  # mkdtemp makes 0700; reports are for sharing
    for item in staging.iterdir():
        # Only this run has written into the staging folder (0700, made by mkdtemp), and
        # nothing has been carried into it yet: every file here is ours.
        if item.is_file() and not item.is_symlink():
            os.chmod(item, 0o666 & ~_umask())
            with open(item, "rb") as handle:
                os.fsync(handle.fileno())


def _sync_folder(staging: Path) -> None:
    dir_fd = os.open(staging, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _swap(staging: Path, folder: Path, held: tuple[int, int] | None = None) -> None:
    if not os.path.lexists(folder):
        os.rename(staging, folder)
        return
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode) or (held and (info.st_dev, info.st_ino) != held):
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


def _reason(err: OSError) -> str:
    """What an operator can act on, for the errors a full or locked-down disk gives."""
    return {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
            errno.EACCES: "permission denied", errno.EPERM: "permission denied",
            errno.EROFS: "the file system is read-only"}.get(err.errno, err.strerror)


def _output_error(err: OSError, path: Path) -> OutputError:
    reason = _reason(err)
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
    # The index's lock lives beside the quarters' locks, outside the published tree; it is
    # kept (not removed) because runs wait on it in turn.
    lock = lock_path(root, "index.html")
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as err:
        raise _index_error(err, lock) from None
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
    reason = _reason(err)
    return OutputError(f"{path}: cannot rewrite the index of quarters ({reason}); the "
                       "quarter's own set was published, and the last index is unchanged")
