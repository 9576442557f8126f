"""The report notebook: the one a params file names, or the one perfkit ships.

A council's analysts edit their own copy of the notebook in JupyterLab, and the params file
names it (``notebook: notebooks/quarterly_report.ipynb``), so the notebook they edit is the
one ``perfkit report`` runs. A params file that names none gets the packaged notebook.

A notebook is code: whoever can edit the params file and the notebook runs code on the
machine that publishes. So ``notebook:`` takes only a regular ``.ipynb`` file inside the
params file's project: a relative path with no ``..``, found as ``data`` is (beside the
params file, then in each folder above it), that no link leads out of that folder.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path, PurePath

from perfkit.errors import ParamsError
from perfkit.limits import MAX_NOTEBOOK_BYTES, shown

#: The notebook that ships in the wheel: the default for a params file that names none.
PACKAGED = Path(__file__).resolve().parent / "notebooks" / "quarterly_report.ipynb"
NAME = PACKAGED.name
ALLOWED = ("a regular .ipynb file inside the params file's project, as a relative path "
           "such as notebooks/quarterly_report.ipynb (no absolute path, no '..')")


def resolve_notebook(value: str, params_path: str | Path) -> Path:
    """The notebook a params file names, checked before a byte of it is read.

    Looked for beside the params file, then in each folder above it (as ``data`` is), and
    kept to the folder it was found in: no absolute path, no ``..``, no link out, no device,
    pipe or folder, nothing but ``.ipynb``, at most ``MAX_NOTEBOOK_BYTES``.

    >>> resolve_notebook("notebooks/quarterly_report.ipynb", "params/2022-23-Q2.yaml").name
    'quarterly_report.ipynb'
    >>> resolve_notebook("../../etc/passwd.ipynb", "params/2022-23-Q2.yaml")
    Traceback (most recent call last):
    ...
    perfkit.errors.ParamsError: params/2022-23-Q2.yaml: key 'notebook' has '../../etc/passwd.ipynb'; expected a regular .ipynb file inside the params file's project, as a relative path such as notebooks/quarterly_report.ipynb (no absolute path, no '..')
    """
    where = f"{params_path}: key 'notebook' has {shown(value)}"
    relative = PurePath(value)
    if (relative.is_absolute() or value.startswith("~") or ".." in relative.parts
            or relative.suffix != ".ipynb" or not relative.parts):
        raise ParamsError(f"{where}; expected {ALLOWED}")
    base = Path(params_path).resolve().parent
    for folder in (base, *base.parents):
        candidate = folder / relative
        if os.path.lexists(candidate):
            break
    else:
        raise ParamsError(f"{where}, which is not in {base} or any folder above it "
                          f"(expected {ALLOWED})")
    real = candidate.resolve()
    if not real.is_relative_to(folder):
        raise ParamsError(f"{where}, which leads outside {folder} (to {real}) through a link; "
                          f"expected {ALLOWED}")
    try:
        info = real.stat()
    except OSError as err:
        raise ParamsError(f"{where}: cannot read it ({err.strerror})") from None
    if not stat.S_ISREG(info.st_mode) or real.suffix != ".ipynb":
        raise ParamsError(f"{where}, which is not a regular .ipynb file ({real}); "
                          f"expected {ALLOWED}")
    if info.st_size > MAX_NOTEBOOK_BYTES:
        raise ParamsError(f"{where}, which is {info.st_size:,} bytes: larger than the "
                          f"{MAX_NOTEBOOK_BYTES // (1024 * 1024)} MB a report notebook may be")
    return real


def choose_notebook(params, params_path: str | Path, given: Path | None = None) -> Path:
    """The notebook to run: ``given`` (``--notebook``), else the params file's, else perfkit's."""
    if given is not None:
        return Path(given)
    if params.notebook:
        return resolve_notebook(params.notebook, params_path)
    return PACKAGED


def write_notebook(folder: str | Path, *, overwrite: bool = False) -> Path:
    """Write a copy of perfkit's report notebook into ``folder`` for a council to make its own.

    Name it in the params file (``notebook: notebooks/quarterly_report.ipynb``) and
    ``perfkit report`` runs that copy. An existing notebook is never replaced unless asked.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     write_notebook(Path(tmp) / "notebooks").read_bytes() == PACKAGED.read_bytes()
    True
    """
    folder = Path(folder)
    target = folder / NAME
    if os.path.lexists(target) and not overwrite:
        raise ParamsError(f"{target} already exists; it was left as it is (move it away, or "
                          "use --force to replace it with perfkit's notebook)")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(PACKAGED, target)
    except OSError as err:
        raise ParamsError(f"cannot write {target} ({err.strerror})") from None
    return target
