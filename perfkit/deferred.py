"""Imports a perfkit process defers until they are used.

JupyterLab's extra (jupyter-events) installs ``jsonschema[format-nongpl]``, and with it
``rfc3987_syntax``, which jsonschema imports whenever it is imported (altair and nbformat both
import it) to check the ``iri`` format. rfc3987_syntax compiles some 35 Lark grammars at
import: 1.1 s of CPU in every perfkit process and kernel on this machine, for a format that
neither a notebook's schema nor Vega-Lite's uses (jsonschema issue 1428). perfkit puts a
stand-in in its place that imports the real module the first time anything uses it, so the
check behaves exactly as before, paid only if made. Without the package (perfkit installed
without JupyterLab), nothing is done.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types

_IRI = "rfc3987_syntax"


class _Deferred(types.ModuleType):
    """Stands in for a module until one of its attributes is used."""

    def _load(self) -> types.ModuleType:
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        real = importlib.import_module(self.__name__)
        sys.modules[self.__name__] = real
        return real

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._load(), name)


def defer_iri_grammar() -> bool:
    """Defer rfc3987_syntax's import until it is used; True if the stand-in was put in place.

    >>> defer_iri_grammar()  # perfkit's import has done it already, or found nothing to do
    False
    """
    if _IRI in sys.modules or "jsonschema" in sys.modules:
        return False  # already imported (or jsonschema bound it): nothing to gain
    try:
        if importlib.util.find_spec(_IRI) is None:
            return False
    except (ImportError, ValueError):
        return False
    stand_in = _Deferred(_IRI)

    def is_valid_syntax(*args, **kwargs):
        # jsonschema binds this name at its import; each call goes to the real function
        return stand_in._load().is_valid_syntax(*args, **kwargs)

    stand_in.is_valid_syntax = is_valid_syntax
    sys.modules[_IRI] = stand_in
    return True
