"""The connection files of the kernels ``perfkit report --kernel`` starts, and their removal.

A connection file holds the kernel's ports and the HMAC key that signs every message to it:
anyone who reads it can run code as this user. jupyter_client writes it with ``mkstemp``
into the temp folder and removes it when the kernel is shut down, so a run that is
SIGKILLed leaves it there for good. perfkit names the file itself instead, in its private
state folder (``kernels/``, mode 0700), as ``kernel-<pid>-<id>.json`` after the perfkit
process that started it; the run removes its own files however it ends, and every
``--kernel`` run first sweeps files whose process is gone.
"""

from __future__ import annotations

import os
import re
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

_NAME = re.compile(r"^kernel-(\d+)-[0-9a-f]+\.json$")


def kernel_folder() -> Path:
    from perfkit.state import private_folder

    return private_folder("kernels")


def connection_file() -> str:
    """A new connection file's path for a kernel of this process (not created here)."""
    return str(kernel_folder() / f"kernel-{os.getpid()}-{uuid.uuid4().hex}.json")


def kernel_manager_class():
    """jupyter_client's kernel manager, writing its connection file where perfkit says."""
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class PerfkitKernelManager(AsyncKernelManager):
        @default("connection_file")
        def _perfkit_connection_file(self) -> str:
            return connection_file()

    return PerfkitKernelManager


def own_files(pid: int | None = None) -> list[Path]:
    """The connection files of process ``pid`` (default: this one)."""
    pid = os.getpid() if pid is None else pid
    return sorted(kernel_folder().glob(f"kernel-{pid}-*.json"))


def remove_own() -> None:
    """Remove this process's connection files (its kernels have ended or been killed)."""
    for path in own_files():
        path.unlink(missing_ok=True)


def sweep() -> list[Path]:
    """Remove connection files left by perfkit processes that are gone (SIGKILLed runs).

    >>> isinstance(sweep(), list)
    True
    """
    removed = []
    for path in kernel_folder().iterdir():
        found = _NAME.match(path.name)
        if not found or path.is_symlink():
            continue
        pid = int(found[1])
        if pid == os.getpid() or _alive(pid):
            continue
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process has the pid: not ours to judge
    return True


@contextmanager
def kernel_files() -> Iterator[dict]:
    """Sweep dead runs' files; yield papermill's option; remove this run's files at the end."""
    sweep()
    try:
        yield {"kernel_manager_class": kernel_manager_class()}
    finally:
        remove_own()
