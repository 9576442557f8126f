"""perfkit's render API where it has always been imported from.

The work is done in three modules, one per concept: :mod:`perfkit.render` (one quarter),
:mod:`perfkit.batch` (several quarters: workers, signals, progress) and :mod:`perfkit.pages`
(the report and cabinet pages, their PDFs and Word copies). Every name is looked up there
when first asked for, so ``from perfkit.report import render`` costs only what it uses.
"""

from __future__ import annotations

import importlib

_HOMES = {
    "perfkit.render": ("NOTEBOOK", "DEFAULT_TIMEOUT", "ENGINE", "Rendered", "output_folder",
                       "render", "summary_json", "export_notebook", "NotebookFailed",
                       "execute", "time_limit"),
    "perfkit.batch": ("Outcome", "Job", "render_many", "stop_on_signals"),
    "perfkit.pages": ("TEMPLATES", "TEMPLATE", "export_html", "cabinet_page"),
}
_WHERE = {name: module for module, names in _HOMES.items() for name in names}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)


def __dir__() -> list[str]:
    return __all__
