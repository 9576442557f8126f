"""A perfkit error in JupyterLab: one short message naming the notebook's parameter, with
each distinct problem once (a real kernel, as JupyterLab runs the notebook)."""

from __future__ import annotations

import nbformat
import pytest

from conftest import ROOT

NOTEBOOK = ROOT / "notebooks" / "quarterly_report.ipynb"


def first_error(change: tuple[str, str]) -> dict:
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    assert change[0] in cell.source
    cell.source = cell.source.replace(*change)
    NotebookClient(nb, kernel_name="python3", timeout=300, allow_errors=True,
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    return next(o for c in nb.cells if c.cell_type == "code" for o in c.outputs
                if o.output_type == "error")


@pytest.mark.parametrize("change, says, count", [
    (("quarter = 2", "quarter = 3"),
     "perfkit: no updates for 2022/23 quarter 3: the data holds updates for 2022/23 quarter 2 "
     "only. Check `year` and `quarter`; allow_empty = True in the parameters cell renders an "
     "empty quarter on purpose.", 1),
    (('scheme = "chesterfield"', 'scheme = "lincoln"'),
     "perfkit: 36 problems in the data:\n  - milestone_updates.csv, rows 2-28, 32-34 and 37 "
     "(31 rows), column 'rag': 'Green' is not allowed", 3),
    (("quarter = 2", "quarter = 5"), "key 'quarter' has 5", 1),
], ids=["empty-quarter", "other-scheme", "bad-quarter"])
def test_error_is_one_short_message(change, says, count):
    error = first_error(change)
    text = "\n".join(error.traceback)
    assert says in text
    assert "--allow-empty" not in text
    assert "perfkit/" not in text and "File " not in text and "Traceback" not in text
    assert len(text.splitlines()) <= count + 1, text
