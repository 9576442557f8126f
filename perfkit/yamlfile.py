"""The YAML files perfkit reads (params, layouts, schemes): safe, without aliases, bounded."""

from __future__ import annotations

from pathlib import Path

import yaml

from perfkit.errors import PerfkitError
from perfkit.limits import MAX_PARAMS_BYTES, clip


class AliasFound(Exception):
    """A YAML alias, refused where it was met (``line`` is 1-based)."""

    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


class NoAliasLoader(yaml.SafeLoader):
    """The safe loader without aliases: these files have no use for them, and a few lines of
    nested aliases ("billion laughs") expand to gigabytes."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            raise AliasFound(self.peek_event().start_mark.line + 1)
        return super().compose_node(parent, index)


def alias_refused(line: int, noun: str) -> str:
    """The message for an alias, naming its line and the kind of file."""
    return f"line {line}: a YAML alias (*name) is not allowed in a {noun}; write the value out"


def read_yaml(path: Path, error: type[PerfkitError], noun: str, title: str | None = None,
              limit: int = MAX_PARAMS_BYTES) -> object:
    """A small YAML file's values, read within ``limit`` bytes; every failure an ``error``
    naming the file (``noun`` as in "a params file", ``title`` as in "parameters file").

    >>> read_yaml(Path("no/such.yaml"), PerfkitError, "params file", "parameters file")
    Traceback (most recent call last):
    perfkit.errors.PerfkitError: no/such.yaml: parameters file not found
    """
    title = title or noun
    try:
        # A folder, a FIFO or a device is not a regular file: refused before it is opened.
        if not path.is_file():
            raise FileNotFoundError
        with path.open("rb") as handle:
            raw = handle.read(limit + 1)
    except FileNotFoundError:
        raise error(f"{path}: {title} not found") from None
    except OSError as err:
        raise error(f"{path}: cannot read the {title} ({err.strerror})") from None
    if len(raw) > limit:
        raise error(f"{path}: larger than the {limit // 1024} KB a {noun} may be")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise error(f"{path}: byte {err.start:,} (0x{raw[err.start]:02X}) is not UTF-8; "
                    f"save the {noun} as UTF-8") from None
    try:
        return yaml.load(text, Loader=NoAliasLoader)  # noqa: S506 - a SafeLoader
    except AliasFound as found:
        raise error(f"{path}, {alias_refused(found.line, noun)}") from None
    except yaml.YAMLError as err:
        # PyYAML's message quotes the offending line; keep it short.
        raise error(f"{path}: not valid YAML ({clip(str(err), 400)})") from None
    except (ValueError, RecursionError) as err:
        # A 5,000-digit number, or lists nested thousands deep.
        raise error(f"{path}: not a valid {noun} ({clip(str(err), 200)})") from None
