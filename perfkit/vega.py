"""Vega-Lite specs drawn as SVG by vl-convert, in a helper process started at the run's start.

vl-convert's JavaScript engine takes a few tenths of a second to start: the largest single
cost of a lean report. It holds the GIL while it starts, so a thread cannot overlap it with
the imports and checks a render does first; another process can, on a second core. The
helper is a fresh interpreter (``python -m perfkit.vega``), not a fork: a process whose own
vl-convert engine has started cannot be forked safely (the engine's thread stays behind).
It draws every chart of the run; the charts are the same, drawn by the same engine.

>>> to_svg({"mark": "point"}).startswith("<svg")
True
"""

from __future__ import annotations

import os
import pickle
import signal
import struct

# "pid" of the process that owns the helper and its "child" (a Popen); or "here": the pid
# of a process that draws its own charts.
_helper: dict = {}
# "pid" of the process whose own vl-convert engine has started (drawn here at least once).
_engine: dict = {}


def start() -> None:
    """Start the helper, once per process, if a second core can run it beside this one.

    Safe to call anywhere; where it cannot start (one core) charts are drawn here.
    """
    if _helper.get("pid") == os.getpid() or not helpers_wanted():
        return
    _spawn()


def _spawn() -> None:
    import subprocess
    import sys

    try:
        child = subprocess.Popen([sys.executable, "-m", "perfkit.vega"], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    except OSError:
        return
    _helper.update(pid=os.getpid(), child=child)
    # Reaped at exit, so its time counts among this process's children (getrusage, time).
    import atexit

    atexit.register(stop)


def draw_here() -> None:
    """Draw this process's charts (and PDFs) itself, never in a helper: a batch's workers
    already keep every core busy, so a helper there would only add a process per worker."""
    if "child" in _helper and _helper.get("pid") != os.getpid():
        # A forked worker's copies of the pipes would keep its parent's helper up.
        _helper["child"].stdin.close()
        _helper["child"].stdout.close()
    _helper.clear()
    if _engine.get("pid", os.getpid()) != os.getpid():
        # Forked from a process whose engine had started: the engine's thread did not come
        # through the fork, so a chart drawn here would wait for it for ever. A fresh
        # interpreter draws instead (one per worker, as when the engine is cold).
        _spawn()
        if "child" in _helper:
            return
    _helper["here"] = os.getpid()


def helpers_wanted() -> bool:
    """Whether this process hands work to helper processes (a second core, not told not to)."""
    return _helper.get("here") != os.getpid() and (os.cpu_count() or 1) >= 2


def to_svg(spec: dict) -> str:
    """The spec drawn as SVG: by the helper when this process started one, else here."""
    if _helper.get("pid") == os.getpid():
        child = _helper["child"]
        try:
            _send(child.stdin, spec)
            ok, answer = _receive(child.stdout)
        except (OSError, EOFError):  # the helper has gone (a signal): draw here instead
            stop()
        else:
            if ok:
                return answer
            raise answer
    import vl_convert

    _engine["pid"] = os.getpid()
    return vl_convert.vegalite_to_svg(spec)


def stop() -> None:
    """End the helper (it also ends by itself when this process closes its pipe)."""
    if _helper.get("pid") != os.getpid():
        return
    child = _helper.pop("child")
    _helper.clear()
    _end(child)


def _end(child, kill: bool = False) -> None:
    """Close a helper interpreter's pipes (which ends its loop) and wait for it; ``kill``
    first when it may be busy with work nobody wants any more."""
    if kill:
        child.kill()
    for pipe in (child.stdin, child.stdout):
        try:
            pipe.close()
        except OSError:
            pass
    child.wait()


def _serve(requests, answers) -> None:
    """The helper's loop: start the engine, then draw each spec sent until the pipe closes."""
    # Ctrl-C or a scheduler's SIGTERM reach the process group: the helper ends quietly and
    # the run it serves says what happened.
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, signal.SIG_DFL)
    import vl_convert

    vl_convert.vegalite_to_svg({"mark": "point"})
    while True:
        try:
            spec = _receive(requests)
        except EOFError:
            return
        try:
            answer = (True, vl_convert.vegalite_to_svg(spec))
        except Exception as err:  # the caller raises it, as a call here would have
            answer = (False, err)
        _send(answers, answer)


def _send(pipe, value: object) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    pipe.write(struct.pack("!Q", len(data)) + data)
    pipe.flush()


def _receive(pipe) -> object:
    size = struct.unpack("!Q", _exactly(pipe, 8))[0]
    return pickle.loads(_exactly(pipe, size))


def _exactly(pipe, size: int) -> bytes:
    data = pipe.read(size)
    if len(data) < size:
        raise EOFError
    return data


if __name__ == "__main__":
    # The answers get stdout's pipe to themselves: anything a library prints goes nowhere.
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    _serve(os.fdopen(0, "rb"), answers)
