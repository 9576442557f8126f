"""perfkit's private state folder: what a run keeps for itself, outside every output root.

``$XDG_STATE_HOME/perfkit`` (by default ``~/.local/state/perfkit``) holds the quarters'
locks (``locks/``) and the connection files of the kernels ``--kernel`` runs start
(``kernels/``). Each folder is made 0700 and refused if it is a link, another user's, or
writable by anyone else: nobody but this user can plant a file or a link there.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from perfkit.errors import OutputError


def state_root() -> Path:
    """``$XDG_STATE_HOME/perfkit``, or ``~/.local/state/perfkit``."""
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"),
                                                             ".local", "state")
    return Path(base) / "perfkit"


def private_folder(name: str) -> Path:
    """One of the state folders (``locks``, ``kernels``), made 0700 on first use.

    >>> private_folder("locks").name
    'locks'
    """
    folder = state_root() / name
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.lstat(folder)
    except OSError as err:
        raise OutputError(f"{folder}: cannot make perfkit's private state folder "
                          f"({err.strerror}; allowed: a folder this user can write, set by "
                          "XDG_STATE_HOME)") from None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise OutputError(f"{folder}: perfkit's private state folder is a link, another "
                          "user's, or open to others (allowed: a folder only this user can "
                          "read and write, mode 0700)")
    return folder
