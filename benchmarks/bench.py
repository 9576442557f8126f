"""perfkit's benchmarks: four figures, each against its goal, from one run (`make bench`).

1. Report vs floor: `perfkit report` on the sample quarter against the bare toolchain on a
   trivial notebook (the papermill CLI, then `jupyter nbconvert --to html --no-input`).
   Timed in the same rounds, for comparison: `perfkit report --kernel`, the same notebook in
   a real Jupyter kernel, as JupyterLab runs it.
2. Batch: eight quarters rendered by one `perfkit report` call against eight calls in turn.
3. Scale: a million measure updates through checking and rollup against a plain pandas
   group-by count over the same frame; and the peak memory that takes.
4. Weight: the size of the sample quarter's report.html.

Each pair is timed side by side in the same run, alternating which goes first, so a noisy
machine slows both sides alike; the figure is the median of the per-round ratios. The CPU
time the commands used (their own and their children's, user and system) is recorded too:
on a machine shared with other work it is steadier than the wall clock. The
results go to outputs/bench.json. Goals are reported, never asserted: a slow machine must
not fail a build. `--smoke` keeps this script working (tests/test_bench.py): the scale part
on a tiny dataset, once, and the eight quarters read but not rendered.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
SAMPLE_PARAMS = ROOT / "params" / "2022-23-Q2.yaml"
FLOOR_NOTEBOOK = HERE / "floor.ipynb"

PARTS = ("report", "batch", "scale")
GOALS = {"report_vs_floor": 0.7, "committee_vs_floor": 0.8, "batch_vs_sequential": 0.15,
         "scale_vs_groupby": 5.0, "scale_memory_vs_frame": 3.0, "report_html_kb": 400.0}


@dataclass
class Pair:
    """Timings of two things run side by side, one round at a time (wall clock and CPU)."""

    first: list[float] = field(default_factory=list)
    second: list[float] = field(default_factory=list)
    first_cpu: list[float] = field(default_factory=list)
    second_cpu: list[float] = field(default_factory=list)

    @property
    def ratios(self) -> list[float]:
        return [a / b for a, b in zip(self.first, self.second)]

    def summary(self) -> dict:
        cpu = [a / b for a, b in zip(self.first_cpu, self.second_cpu) if b]
        return {"median_s": [statistics.median(self.first), statistics.median(self.second)],
                "median_ratio": statistics.median(self.ratios),
                "runs_s": [self.first, self.second],
                "median_cpu_s": [statistics.median(self.first_cpu),
                                 statistics.median(self.second_cpu)],
                "median_cpu_ratio": statistics.median(cpu) if cpu else None,
                "runs_cpu_s": [self.first_cpu, self.second_cpu]}


def timed(run: Callable[[], object]) -> tuple[float, float]:
    """Wall-clock seconds, and CPU seconds of this process and of the processes it ran (they
    must have ended): the scale part runs in this process, the others in children."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = time.process_time()
    start = time.perf_counter()
    run()
    wall = time.perf_counter() - start
    own = time.process_time() - own
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, own + (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def side_by_side(first: Callable[[], object], second: Callable[[], object], repeat: int,
                 warmup: int, say: Callable[[str], None],
                 also: dict[str, Callable[[], object]] | None = None) -> Pair:
    """Time both, round by round, swapping which goes first; warm-up rounds are dropped.

    ``also`` are timed in the same rounds, after the pair, each against ``second``: its
    figures are in ``pair.also[name]`` (a Pair of it and ``second``).
    """
    pair = Pair()
    pair.also = {name: Pair() for name in also or {}}
    for round_ in range(warmup + repeat):
        if round_ % 2:
            (b, bc), (a, ac) = timed(second), timed(first)
        else:
            (a, ac), (b, bc) = timed(first), timed(second)
        extra = {name: timed(run) for name, run in (also or {}).items()}
        if round_ >= warmup:
            pair.first.append(a)
            pair.second.append(b)
            pair.first_cpu.append(ac)
            pair.second_cpu.append(bc)
            for name, (x, xc) in extra.items():
                other = pair.also[name]
                other.first.append(x)
                other.second.append(b)
                other.first_cpu.append(xc)
                other.second_cpu.append(bc)
        note = " (warm-up)" if round_ < warmup else ""
        more = "".join(f", {name} {x:.2f} s" for name, (x, _) in extra.items())
        say(f"    round {round_ + 1}/{warmup + repeat}{note}: {a:.2f} s vs {b:.2f} s"
            f" (CPU {ac:.2f} s vs {bc:.2f} s){more}")
    return pair


def run(command: list[str | Path], cwd: Path = ROOT) -> None:
    done = subprocess.run([str(c) for c in command], cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    if done.returncode:
        raise SystemExit(f"bench: {' '.join(map(str, command))} failed "
                         f"({done.returncode}):\n{done.stderr[-3000:]}")


# --- 1 and 4: the sample report against the bare toolchain --------------------------------

def report_vs_floor(work: Path, repeat: int, warmup: int, say) -> dict:
    out = work / "report"
    floor = work / "floor"
    floor.mkdir()

    def report() -> None:
        run([BIN / "perfkit", "report", SAMPLE_PARAMS, "--out", out, "--quiet"])

    def toolchain() -> None:
        executed = floor / "floor.ipynb"
        run([BIN / "papermill", FLOOR_NOTEBOOK, executed])
        run([BIN / "jupyter", "nbconvert", "--to", "html", "--no-input", executed])

    def kernel() -> None:
        run([BIN / "perfkit", "report", SAMPLE_PARAMS, "--out", work / "kernel", "--quiet",
             "--kernel"])

    def committee() -> None:  # the committee set: the report, cabinet paper and both PDFs
        run([BIN / "perfkit", "report", SAMPLE_PARAMS, "--out", work / "committee", "--quiet",
             "--pdf"])

    also = {"--kernel": kernel}
    if _has_weasyprint():
        also["--pdf"] = committee
    pair = side_by_side(report, toolchain, repeat, warmup, say, also=also)
    folder = out / "2022-23-Q2"
    pdf = {"committee": pair.also["--pdf"].summary()} if "--pdf" in also else {}
    return {**pair.summary(), "kernel": pair.also["--kernel"].summary(), **pdf,
            "html_bytes": (folder / "report.html").stat().st_size,
            "notebook_cells_s": _cell_durations(folder / "report.ipynb")}


def _has_weasyprint() -> bool:
    """Whether this environment can draw the PDFs (the lean one may not hold the pdf extra)."""
    done = subprocess.run([sys.executable, "-c", "import weasyprint"], capture_output=True)
    return done.returncode == 0


def _cell_durations(path: Path) -> dict:
    """Where the kernel's time went, from papermill's own record in the executed notebook."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cells = {}
    for cell in notebook["cells"]:
        took = cell.get("metadata", {}).get("papermill", {}).get("duration")
        code = [line for line in "".join(cell["source"]).splitlines()
                if line.strip() and not line.lstrip().startswith("#")]
        if took and code and cell["cell_type"] == "code":
            cells[code[0][:60]] = round(took, 3)
    return {"total": notebook["metadata"].get("papermill", {}).get("duration"), "cells": cells}


# --- 2: eight quarters in one call against eight calls ------------------------------------

def write_quarters(work: Path, measures: int = 46, milestones: int = 36) -> list[Path]:
    """Two years of synthetic data, four quarters each, and a params file per quarter."""
    from perfkit.synthetic import synthetic_dataset, write_dataset

    data = write_dataset(synthetic_dataset(measures=measures, milestones=milestones, years=2,
                                           first_year="2022/23"), work / "data")
    params = []
    for year in ("2022/23", "2023/24"):
        for quarter in range(1, 5):
            path = work / f"{year.replace('/', '-')}-Q{quarter}.yaml"
            path.write_text(f'data: {data.name}\nyear: "{year}"\nquarter: {quarter}\n'
                            "organisation: Synthetic Borough Council\n", encoding="utf-8")
            params.append(path)
    return params


def check_quarters(params: list[Path]) -> int:
    """Read each quarter as a render would, short of starting a kernel; returns how many."""
    from perfkit.load import load_dataset
    from perfkit.params import load_params
    from perfkit.summary import summarise

    for path in params:
        read, data = load_params(path)
        summarise(load_dataset(data), read.year, read.quarter)
    return len(params)


def batch(work: Path, repeat: int, warmup: int, say) -> dict:
    params = write_quarters(work / "quarters")

    def together() -> None:
        run([BIN / "perfkit", "report", *params, "--out", work / "together", "--quiet"])

    def one_by_one() -> None:
        for path in params:
            run([BIN / "perfkit", "report", path, "--out", work / "one_by_one", "--quiet"])

    return {**side_by_side(together, one_by_one, repeat, warmup, say).summary(),
            "quarters": len(params), "cores": os.cpu_count()}


# --- 3: a million measure updates ----------------------------------------------------------

def scale(measures: int, years: int, repeat: int, warmup: int, say) -> dict:
    from perfkit.assess import check_measures, count_statuses
    from perfkit.synthetic import synthetic_dataset
    from perfkit.targets import parse_target, parse_value

    started = time.perf_counter()
    dataset = synthetic_dataset(measures=measures, milestones=36, years=years,
                                first_year="2020/21")
    frame = dataset.measure_updates
    took = time.perf_counter() - started
    say(f"    {len(frame):,} measure updates generated in {took:.1f} s")

    def cold() -> None:
        # Every round starts with empty caches, as a fresh process would.
        parse_target.cache_clear()
        parse_value.cache_clear()

    def checked() -> None:
        cold()
        count_statuses(check_measures(dataset))

    def floor() -> None:
        frame.groupby(["year", "quarter", "rag"]).size()

    gc.collect()
    rss = _peak_rss(checked)
    pair = side_by_side(checked, floor, repeat, warmup, say)
    frame_bytes = int(frame.memory_usage(deep=True).sum())
    dataset_bytes = frame_bytes + int(dataset.measures.memory_usage(deep=True).sum())

    # Peak memory with tracemalloc, in a round of its own: tracing slows Python down.
    cold()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    rows = check_measures(dataset)
    counts = count_statuses(rows)
    peak = tracemalloc.get_traced_memory()[1] - before
    tracemalloc.stop()
    targets = set(dataset.measures["target"]) | {
        t for q in range(1, 5) for t in dataset.measures[f"q{q}_target"] if t}
    return {
        **pair.summary(), "rows": len(frame), "plan_rows": len(dataset.measures),
        "distinct_values": int(frame["value"].nunique()), "distinct_targets": len(targets),
        "target_parses": parse_target.cache_info().misses,
        "statuses": {k: int(v) for k, v in counts[["met", "near", "missed", "not_due",
                                                    "no_target", "unparsed", "missing"]]
                     .sum().items()},
        "frame_bytes": frame_bytes, "dataset_bytes": dataset_bytes,
        "peak_traced_bytes": peak, "peak_rss_increase_bytes": rss,
        "memory_vs_frame": peak / frame_bytes,
    }


def _peak_rss(work: Callable[[], object]) -> int | None:
    """Linux only: how far the resident set's high-water mark rises above where it was."""
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets the high-water mark
        before = _status_kb("VmRSS")
        work()
        return (_status_kb("VmHWM") - before) * 1024
    except OSError:
        return None


def _status_kb(name: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1])
    raise OSError(f"{name} not in /proc/self/status")


# --- the run --------------------------------------------------------------------------------

def machine() -> dict:
    import numpy
    import pandas

    def first(path: str, key: str) -> str | None:
        try:
            for line in Path(path).read_text().splitlines():
                if line.startswith(key):
                    return line.split(":", 1)[1].strip()
        except OSError:
            pass
        return None

    versions = {"python": platform.python_version(), "pandas": pandas.__version__,
                "numpy": numpy.__version__}
    for name in ("papermill", "nbconvert", "altair", "vl_convert", "jupyterlab", "weasyprint"):
        try:
            versions[name] = __import__(name).__version__
        except (ImportError, AttributeError):
            pass
    return {"platform": platform.platform(), "cpu": first("/proc/cpuinfo", "model name"),
            "cores": os.cpu_count(), "memory": first("/proc/meminfo", "MemTotal"),
            "versions": versions}


def verdict(value: float, goal: float) -> str:
    return "goal met" if value <= goal else "GOAL NOT MET"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed rounds (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds first")
    parser.add_argument("--measures", type=int, default=50_000,
                        help="measures in the scale dataset (default 50,000)")
    parser.add_argument("--years", type=int, default=5,
                        help="years of four quarters in the scale dataset (default 5)")
    parser.add_argument("--out", type=Path, default=ROOT / "outputs" / "bench.json")
    parser.add_argument("--only", choices=PARTS, action="append",
                        help="run only this part (may be given more than once)")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny and once, with no timed renders: to keep this working")
    parser.add_argument("--lean", type=Path, default=None, metavar="PYTHON",
                        help="also time part 1 with this Python: an environment without "
                             "JupyterLab, as a scheduling server installs perfkit")
    args = parser.parse_args(argv)
    if args.smoke:
        args.repeat, args.warmup, args.measures, args.years = 1, 0, 200, 2

    def say(text: str) -> None:
        print(text, flush=True)

    results: dict = {"when": time.strftime("%Y-%m-%d %H:%M:%S %z"), "machine": machine(),
                     "repeat": args.repeat, "warmup": args.warmup, "smoke": args.smoke,
                     "goals": GOALS}
    say(f"perfkit benchmarks: median of {args.repeat} round(s) after {args.warmup} warm-up")
    parts = args.only or PARTS
    with tempfile.TemporaryDirectory(prefix="perfkit-bench-") as tmp:
        work = Path(tmp)
        if "report" in parts and not args.smoke:
            say("1. report vs floor (perfkit report, then papermill CLI + nbconvert)")
            results["report"] = report_vs_floor(work, args.repeat, args.warmup, say)
        if "batch" in parts and args.smoke:
            results["batch"] = {"checked_quarters": check_quarters(write_quarters(work))}
        elif "batch" in parts:
            say("2. batch (eight quarters in one call, then eight calls)")
            results["batch"] = batch(work, args.repeat, args.warmup, say)
        if "scale" in parts:
            say(f"3. scale ({args.measures:,} measures x {args.years * 4} quarters)")
            results["scale"] = scale(args.measures, args.years, args.repeat, args.warmup, say)
        if args.lean and "report" in parts and not args.smoke:
            say(f"1. again without JupyterLab ({args.lean})")
            lean_out = work / "lean.json"
            done = subprocess.run([str(args.lean), __file__, "--only", "report", "--repeat",
                                   str(args.repeat), "--warmup", str(args.warmup), "--out",
                                   str(lean_out)], cwd=ROOT)
            if done.returncode:
                raise SystemExit(f"bench: the run with {args.lean} failed")
            lean = json.loads(lean_out.read_text(encoding="utf-8"))
            results["lean"] = {"python": str(args.lean), "report": lean["report"],
                               "versions": lean["machine"]["versions"]}
    results["lines"] = lines = summary_lines(results)
    say("")
    for line in lines:
        say(line)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    say(f"\nwrote {args.out}")
    return 0


def report_lines(r: dict, where: str, judged) -> list[str]:
    """Figure 1 (and the committee set, 1b) for one environment."""
    (report_s, floor_s), ratio = r["median_s"], r["median_ratio"]
    lines = [
        f"1. Report vs floor, {where}: perfkit report {report_s:.2f} s, bare toolchain "
        f"{floor_s:.2f} s; ratio {ratio:.2f} (goal <= {GOALS['report_vs_floor']}): "
        f"{judged(ratio, 'report_vs_floor')}",
        f"   CPU time: {r['median_cpu_s'][0]:.2f} s vs {r['median_cpu_s'][1]:.2f} s;"
        f" ratio {r['median_cpu_ratio']:.2f}"]
    if c := r.get("committee"):
        lines.append(
            f"1b. Committee set (--pdf: both pages and both PDFs) vs floor, {where}: "
            f"{c['median_s'][0]:.2f} s; ratio {c['median_ratio']:.2f} (goal <= "
            f"{GOALS['committee_vs_floor']}): {judged(c['median_ratio'], 'committee_vs_floor')}"
            f"; CPU ratio {c['median_cpu_ratio']:.2f}")
    else:
        lines.append(f"1b. Committee set, {where}: not measured (no WeasyPrint here)")
    if k := r.get("kernel"):
        lines.append(
            f"   for comparison, perfkit report --kernel (a real kernel, as JupyterLab "
            f"runs it) {k['median_s'][0]:.2f} s: ratio {k['median_ratio']:.2f} to the "
            f"floor (CPU {k['median_cpu_ratio']:.2f})")
    return lines


def _where(versions: dict) -> str:
    return "with JupyterLab" if "jupyterlab" in versions else "without JupyterLab"


def summary_lines(results: dict) -> list[str]:
    """The four figures, each with its goal; a smoke run gives no verdicts."""
    m = results["machine"]
    smoke = results["smoke"]

    def judged(value: float, goal: str) -> str:
        return "smoke run, no verdict" if smoke else verdict(value, GOALS[goal])

    lines = [f"perfkit benchmarks, {results['when']}, {m['cpu']} x {m['cores']} cores, "
             f"Python {m['versions']['python']}, pandas {m['versions']['pandas']}"]
    if r := results.get("report"):
        lines += report_lines(r, _where(m["versions"]), judged)
        if lean := results.get("lean"):
            lines += report_lines(lean["report"], _where(lean["versions"]), judged)
    else:
        lines.append("1. Report vs floor: not run")
    b = results.get("batch", {})
    if "median_ratio" in b:
        together, alone = b["median_s"]
        lines.append(
            f"2. Batch: {b['quarters']} quarters in one call {together:.1f} s, one call each "
            f"{alone:.1f} s, on {b['cores']} cores; ratio {b['median_ratio']:.2f} "
            f"(goal <= {GOALS['batch_vs_sequential']}): "
            f"{judged(b['median_ratio'], 'batch_vs_sequential')}")
        lines.append(f"   CPU time: {b['median_cpu_s'][0]:.1f} s vs {b['median_cpu_s'][1]:.1f} s;"
                     f" ratio {b['median_cpu_ratio']:.2f}")
    else:
        read = f"; {b['checked_quarters']} quarters read" if b else ""
        lines.append(f"2. Batch: not timed{read}")
    if s := results.get("scale"):
        checked, floor = s["median_s"]
        lines.append(
            f"3. Scale: {s['rows']:,} measure updates checked and rolled up in {checked:.2f} s,"
            f" group-by count {floor:.3f} s; ratio {s['median_ratio']:.1f}x "
            f"(goal <= {GOALS['scale_vs_groupby']:g}x): "
            f"{judged(s['median_ratio'], 'scale_vs_groupby')}")
        if s.get("median_cpu_ratio"):
            lines.append(f"   CPU time: {s['median_cpu_s'][0]:.2f} s vs "
                         f"{s['median_cpu_s'][1]:.3f} s; ratio {s['median_cpu_ratio']:.1f}x")
        lines.append(
            f"   peak memory (tracemalloc) {s['peak_traced_bytes'] / 1e6:,.0f} MB, "
            f"{s['memory_vs_frame']:.2f}x the {s['frame_bytes'] / 1e6:,.0f} MB frame "
            f"(goal <= {GOALS['scale_memory_vs_frame']:g}x): "
            f"{judged(s['memory_vs_frame'], 'scale_memory_vs_frame')}")
    else:
        lines.append("3. Scale: not run")
    if r := results.get("report"):
        kb = r["html_bytes"] / 1024
        lines.append(f"4. Weight: report.html {kb:,.0f} KB (goal <= "
                     f"{GOALS['report_html_kb']:g} KB): {judged(kb, 'report_html_kb')}")
    else:
        lines.append("4. Weight: not measured (it comes with part 1)")
    return lines


if __name__ == "__main__":
    sys.exit(main())
