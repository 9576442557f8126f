"""perfkit: a council's quarterly delivery-plan data in, its performance report out."""

from __future__ import annotations

import importlib

from perfkit.deferred import defer_iri_grammar

__version__ = "0.1.0"

defer_iri_grammar()  # 1.1 s of every process where JupyterLab is installed: see perfkit.deferred

# Names are imported on first use (PEP 562): papermill imports perfkit.engine, and so this
# package, in every papermill run, which must not pay for pandas.
_WHERE = {
    "Quarter": "assess", "assess_quarter": "assess",
    "DataError": "errors", "ParamsError": "errors", "PerfkitError": "errors",
    "Problem": "errors", "RenderError": "errors",
    "Dataset": "load", "load_dataset": "load",
    "Frequency": "model", "Issue": "model", "Polarity": "model", "Profile": "model",
    "Rag": "model", "Status": "model", "Travel": "model",
    "change_paragraph": "narrative", "overall_paragraph": "narrative",
    "priority_paragraph": "narrative",
    "Rollup": "rollup", "compare": "rollup", "roll_up": "rollup",
    "Scheme": "scheme", "SchemeError": "scheme", "load_scheme": "scheme",
    "Check": "targets", "check_many": "targets", "check_target": "targets",
    "parse_target": "targets",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(importlib.import_module(f"perfkit.{_WHERE[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'perfkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
