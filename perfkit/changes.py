"""What a run changed in a quarter's published set, in words an operator reads in the log.

A run publishes a whole set; files of the last set that this run did not make are gone from
the new one. The log says so, and why ("no --pdf this run"), so that a dropped PDF is never
a surprise.

>>> import tempfile
>>> folder, staging = Path(tempfile.mkdtemp()), Path(tempfile.mkdtemp())
>>> _ = (folder / "report.html").write_text("old"); _ = (folder / "report.pdf").write_bytes(b"%PDF")
>>> _ = (staging / "report.html").write_text("new"); _ = (staging / "summary.json").write_text("{}")
>>> for line in describe(compare(folder, staging, pdf=False, docx=False)):
...     print(line)
added summary.json
replaced report.html
removed report.pdf (no --pdf this run)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class How(StrEnum):
    ADDED = "added"
    REPLACED = "replaced"
    UNCHANGED = "unchanged"
    REMOVED = "removed"


@dataclass(frozen=True)
class Change:
    """One file of the set: what happened to it, and for a removal, why."""

    name: str
    how: How
    why: str = ""


def _why_removed(name: str, pdf: bool, docx: bool, covering: bool) -> str:
    if name.endswith(".pdf") and not pdf:
        return "no --pdf this run"
    if name.endswith(".docx") and not docx:
        return "no --docx this run"
    if name.startswith("cabinet.") and not covering:
        return "no covering report in the params file this run"
    if name == "report.failed.ipynb":
        return "this run's notebook succeeded"
    return "not made this run"


def compare(folder: Path, staging: Path, *, pdf: bool, docx: bool) -> list[Change]:
    """Each of perfkit's files in the new set (``staging``) against the published ``folder``,
    and each of perfkit's files there that the new set leaves out. An officer's own files,
    carried over from set to set, are not listed."""
    from perfkit.publish import OUTPUTS

    # Before the officer's own files are carried over: the staging folder holds this run's.
    files = sorted(p.name for p in staging.iterdir() if p.is_file())
    changes = []
    for name in files:
        old, new = folder / name, staging / name
        if not old.is_file():
            changes.append(Change(name, How.ADDED))
            continue
        same = old.stat().st_size == new.stat().st_size and old.read_bytes() == new.read_bytes()
        changes.append(Change(name, How.UNCHANGED if same else How.REPLACED))
    if folder.is_dir():
        covering = "cabinet.html" in files
        for old in sorted(folder.iterdir()):
            if old.name in OUTPUTS and old.name not in files:
                changes.append(Change(old.name, How.REMOVED,
                                      _why_removed(old.name, pdf, docx, covering)))
    return changes


def describe(changes: list[Change]) -> list[str]:
    """One line for each kind of change, removals one per reason."""
    lines = []
    for how in (How.ADDED, How.REPLACED, How.UNCHANGED):
        names = [c.name for c in changes if c.how is how]
        if names:
            lines.append(f"{how} {', '.join(names)}")
    reasons = dict.fromkeys(c.why for c in changes if c.how is How.REMOVED)
    for why in reasons:
        names = [c.name for c in changes if c.how is How.REMOVED and c.why == why]
        lines.append(f"removed {', '.join(names)} ({why})")
    return lines
