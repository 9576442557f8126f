"""Validated datasets and quarter summaries, kept for the life of the process.

``perfkit report`` validates the data before it runs the notebook; when the notebook runs in
the same process (perfkit's in-process engine), its ``open_report`` takes the same objects
from here instead of reading and validating the files again. Entries are keyed on the
files' identity (resolved path, size and modification time of each file), so a dataset
edited between two runs is read again. The objects are shared: treat them as read-only.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from perfkit.load import Dataset
    from perfkit.scheme import Scheme
    from perfkit.summary import Summary

_KEEP = 8  # a batch renders a few datasets, each for a few quarters
_datasets: OrderedDict[tuple, Dataset] = OrderedDict()
_summaries: OrderedDict[tuple, Summary] = OrderedDict()


def fingerprint(path: str | Path) -> tuple:
    """The resolved path, and the name, size and modification time of every file in it.

    >>> fingerprint("data/chesterfield")[0].endswith("chesterfield")
    True
    """
    path = Path(path).resolve()
    try:
        if path.is_dir():
            files = tuple(sorted((entry.name, entry.stat().st_size, entry.stat().st_mtime_ns)
                                 for entry in os.scandir(path) if entry.is_file()))
        else:
            stat = path.stat()
            files = ((path.name, stat.st_size, stat.st_mtime_ns),)
    except OSError:
        files = ()  # load_dataset names the problem; nothing is kept for a missing path
    return (str(path), files)


def load(path: str | Path, scheme: Scheme | None = None,
         layout: str | Path | None = None) -> Dataset:
    """:func:`perfkit.load.load_dataset`, once per version of the files, scheme and layout."""
    from perfkit.load import load_dataset

    key = (fingerprint(path), _identity(scheme), layout and fingerprint(layout))
    if key[0][1] and key in _datasets:
        _datasets.move_to_end(key)
        return _datasets[key]
    dataset = load_dataset(path, scheme, layout)
    if key[0][1]:
        _keep(_datasets, key, dataset)
    return dataset


def summarise(path: str | Path, year: str, quarter: int,
              scheme: Scheme | None = None, *,
              allow_empty: bool = False,
              layout: str | Path | None = None) -> tuple[Dataset, Summary]:
    """The dataset at ``path`` and its summary for one quarter, each computed once."""
    from perfkit.summary import summarise as compute

    dataset = load(path, scheme, layout)
    key = (fingerprint(path), _identity(scheme), layout and fingerprint(layout), year, quarter,
           allow_empty)
    if key in _summaries:
        _summaries.move_to_end(key)
        return dataset, _summaries[key]
    summary = compute(dataset, year, quarter, scheme, allow_empty=allow_empty)
    _keep(_summaries, key, summary)
    return dataset, summary


def _identity(scheme: Scheme | None) -> str | None:
    """A scheme by its content: two loads of one file are the same scheme."""
    return None if scheme is None else scheme.model_dump_json()


def _keep(store: OrderedDict, key: tuple, value: object) -> None:
    store[key] = value
    while len(store) > _KEEP:
        store.popitem(last=False)
