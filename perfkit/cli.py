"""``perfkit``: the command line. Each command is a thin skin over one library call."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import textwrap
import time
from pathlib import Path

from perfkit.errors import Interrupted, PerfkitError

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


def _summary(args: argparse.Namespace) -> int:
    from perfkit.load import load_dataset
    from perfkit.params import layout_path, load_params
    from perfkit.scheme import Part, load_scheme
    from perfkit.summary import summarise

    params, data = load_params(args.params)
    base = Path(args.params).resolve().parent
    scheme = load_scheme(params.scheme, base)
    result = summarise(load_dataset(data, scheme, layout_path(params, base)), params.year,
                       params.quarter, scheme,
                       allow_empty=args.allow_empty or params.allow_empty)
    if args.json:
        print(json.dumps(result.to_summary(), indent=2))
        return 0
    print(params.heading)
    print("=" * len(params.heading))
    # An empty quarter has no figures to list: its paragraphs say so.
    groups = [result.rollup.overall, *result.rollup.priorities] if result.received else []
    for group in groups:
        parts = []
        for part, counts, nouns in ((Part.MILESTONES, group.milestones, scheme.nouns.milestone),
                                    (Part.MEASURES, group.measures, scheme.nouns.measure)):
            if not counts.total:
                continue
            heads = [f"{h.count} of {h.base} {h.label.lower()} ({h.text})"
                     for h in group.headlines if h.of == part.value]
            if heads and not heads[0].split(" ", 3)[3].startswith(nouns[1]):
                heads[0] = f"{nouns[1]} {heads[0]}"
            states = [f"{s.label.lower()} {counts.statuses.get(s.key, 0)}"
                      for s in scheme.statuses(part)]
            parts.append(", ".join([*heads, *states]) if heads else
                         f"{nouns[1]} " + ", ".join(states))
        print(f"{group.name}: " + "; ".join(parts))
    print()
    for paragraph in result.paragraphs:
        print(textwrap.fill(paragraph, width=96))
        print()
    return 0


def _report(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from perfkit.errors import ParamsError
    from perfkit.params import load_params
    from perfkit.report import output_folder, render_many

    # Every params file is checked before any work starts: a typo fails in a second, and
    # two files for one quarter would overwrite each other's report.
    from perfkit.scheme import load_scheme

    from perfkit.errors import OutOfTime
    from perfkit.notebook import choose_notebook
    from perfkit.report import time_limit

    folders: dict[Path, Path] = {}
    path = args.params[0]
    try:
        # --timeout covers this phase too: no input may hold the run before it starts.
        with time_limit(args.timeout or None):
            for path in args.params:
                params, _ = load_params(path)
                load_scheme(params.scheme, Path(path).resolve().parent)
                choose_notebook(params, path, args.notebook)
                folder = output_folder(args.out, params.slug)
                if folder in folders:
                    raise ParamsError(f"{folders[folder]} and {path} are both for quarter "
                                      f"{params.quarter} of {params.year} (output folder "
                                      f"{folder}); give each quarter once")
                folders[folder] = path
    except OutOfTime:
        raise ParamsError(f"{path}: reading the parameters and scheme took longer than the "
                          f"limit of {args.timeout:g} s (perfkit report --timeout)") from None
    rendered, failures, bad_input, indexed = 0, 0, 0, 0
    started = time.monotonic()
    # A bar on a terminal; in a scheduler's log, one line per report instead.
    with tqdm(total=len(args.params), desc="Rendering", unit="report", file=sys.stderr,
              disable=args.quiet or not sys.stderr.isatty()) as bar:
        def done(outcome):
            nonlocal rendered, failures, bad_input, indexed
            if outcome.error:
                failures += 1
                bad_input += outcome.bad_input
                # In a batch's log every line says when, as the lines of the reports do.
                stamp = f"{_now()} " if len(args.params) > 1 else ""
                tqdm.write(f"{stamp}perfkit: {outcome.error}", file=sys.stderr)
            else:
                rendered += 1
                made = outcome.rendered
                # Runs take turns on the index: the one that lists the most lists them all.
                indexed = max(indexed, made.indexed)
                written = [made.html, made.cabinet, *made.pdfs, *made.docs]
                # A scheduler's log: each line says when, and the first how long it took.
                stamp = _now()
                tqdm.write(f"{stamp} wrote {' and '.join(str(p) for p in written if p)} "
                           f"in {made.seconds:.1f} s", file=sys.stdout)
                for change in made.changes:
                    tqdm.write(f"{stamp} {made.folder.name}: {change}", file=sys.stdout)
                for warning in made.warnings:
                    tqdm.write(f"{stamp} perfkit: warning: {warning}", file=sys.stderr)
            bar.update(1)

        render_many(args.params, args.out, jobs=args.jobs, on_done=done, pdf=args.pdf,
                    docx=args.docx,
                    allow_empty=args.allow_empty,
                    kernel=args.kernel, timeout=args.timeout or None,
                    **({"notebook": args.notebook} if args.notebook else {}))
    if rendered:
        # The index at the output root is part of what is published: the log says so.
        print(f"{_now()} index.html: rewritten, listing {indexed} "
              f"quarter{'s' if indexed != 1 else ''}")
    if len(args.params) > 1:
        print(f"{_now()} perfkit: {rendered} rendered, {failures} failed in "
              f"{time.monotonic() - started:.1f} s", file=sys.stderr)
    if failures == 0:
        return 0
    return EXIT_BAD_INPUT if bad_input == failures else EXIT_FAILED


def _now() -> str:
    """The time a log line is written, in UTC to the second: 2026-12-02T11:50:03Z."""
    import datetime as dt

    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _notebook(args: argparse.Namespace) -> int:
    from perfkit.notebook import write_notebook

    written = write_notebook(args.folder, overwrite=args.force)
    print(f"wrote {written}; name it in your params file (notebook: "
          f"{Path(args.folder) / written.name}, relative to the project) and edit it in "
          "JupyterLab")
    return 0


def _plan_size(dataset, year: str | None) -> str:
    """The plan's size as a reader counts it: a plan of several years holds each milestone
    and measure once a year, so the size given is one year's (the params file's, else the
    latest held).

    >>> from perfkit import load_dataset
    >>> _plan_size(load_dataset("data/example"), "2022/23")
    '2022/23: 11 milestones, 10 measures (the data holds 3 plan years, 2021/22 to 2023/24)'
    >>> _plan_size(load_dataset("data/chesterfield"), None)
    '36 milestones, 46 measures'
    """
    years = sorted({*dataset.milestones["year"], *dataset.measures["year"]})
    if len(years) <= 1:
        return f"{len(dataset.milestones):,} milestones, {len(dataset.measures):,} measures"
    year = year if year in years else years[-1]
    milestones = int((dataset.milestones["year"] == year).sum())
    measures = int((dataset.measures["year"] == year).sum())
    return (f"{year}: {milestones:,} milestones, {measures:,} measures (the data holds "
            f"{len(years)} plan years, {years[0]} to {years[-1]})")


def _check(args: argparse.Namespace) -> int:
    from perfkit.load import load_dataset

    if args.data.suffix.lower() in (".yaml", ".yml") and args.data.is_file():
        # A params file: its data, read through its layout and checked against its scheme.
        from perfkit.params import layout_path, load_params
        from perfkit.scheme import load_scheme

        params, data = load_params(args.data)
        base = args.data.resolve().parent
        dataset = load_dataset(data, load_scheme(params.scheme, base), layout_path(params, base))
        year = params.year
    else:
        dataset, year = load_dataset(args.data), None
    print(f"{args.data}: {_plan_size(dataset, year)}; no problems found")
    return 0


def _init(args: argparse.Namespace) -> int:
    from perfkit.init import check, init

    done = init(args.files, args.out, force=args.force)
    for line in done.report:
        print(line)
    print(f"wrote {done.params}, {done.layout.name}, {done.scheme.name} and "
          f"{done.notebook.name} in {done.params.parent}")
    try:
        print(check(done))
    except PerfkitError:
        print("perfkit: the guess does not check yet; fix the files above and run "
              f"`perfkit check {done.params}`", file=sys.stderr)
        raise
    print(f"next: review the lines marked review, then `perfkit report {done.params}`")
    return 0


EXIT_CODES = """exit codes:
  0  success
  1  a run failed after its input was accepted (the notebook or the export failed)
  2  bad input: data, parameters, or a quarter with no updates (see --allow-empty)
  130, 143  stopped by Ctrl-C (SIGINT) or SIGTERM"""


def _command(commands, name: str, help: str, example: str):
    """A subcommand whose --help ends with an example and the exit codes."""
    return commands.add_parser(
        name, help=help, description=help[0].upper() + help[1:] + ".",
        epilog=f"example:\n  {example}\n\n{EXIT_CODES}",
        formatter_class=argparse.RawDescriptionHelpFormatter)


def build_parser() -> argparse.ArgumentParser:
    from perfkit import __version__
    from perfkit.report import DEFAULT_TIMEOUT

    parser = argparse.ArgumentParser(
        prog="perfkit", formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example:\n  perfkit report params/2022-23-Q2.yaml --out outputs\n\n"
               "`perfkit COMMAND --help` describes each command.\n\n" + EXIT_CODES)
    parser.description = ("Turn a council's quarterly delivery-plan data into its published "
                          "performance report.")
    parser.add_argument("--version", action="version", version=f"perfkit {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    report = _command(commands, "report", "render the report for one or more quarters",
                      "perfkit report params/2022-23-Q2.yaml --out outputs")
    report.add_argument("params", type=Path, nargs="+", help="params YAML files")
    report.add_argument("--out", type=Path, default=Path("outputs"),
                        help="output root; each quarter gets a folder in it (default: outputs)")
    report.add_argument("--jobs", type=int, default=None,
                        help="parallel renders (default: one per core)")
    report.add_argument("--quiet", action="store_true", help="no progress bar")
    report.add_argument("--pdf", action="store_true",
                        help="also write report.pdf (and cabinet.pdf): tagged A4 papers")
    report.add_argument("--docx", action="store_true",
                        help="also write report.docx (and cabinet.docx) for committee systems")
    report.add_argument("--notebook", type=Path, default=None,
                        help="a report notebook of your own, in place of the params file's "
                             "`notebook:` (default: that, else the one perfkit ships)")
    report.add_argument("--allow-empty", action="store_true",
                        help="render a quarter the data holds no update for (refused otherwise)")
    report.add_argument("--kernel", action="store_true",
                        help="run the notebook in a real Jupyter kernel, as JupyterLab does "
                             "(slower; isolates the notebook from perfkit's process)")
    report.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help="stop a report that takes longer than this to render, with "
                             f"exit code 1 (default: {DEFAULT_TIMEOUT}; 0 for no limit)")
    report.set_defaults(run=_report)

    summary = _command(commands, "summary", "print a quarter's figures and narrative",
                       "perfkit summary params/2022-23-Q2.yaml --json")
    summary.add_argument("params", type=Path, help="a params YAML file")
    summary.add_argument("--json", action="store_true", help="print summary.json instead")
    summary.add_argument("--allow-empty", action="store_true",
                         help="summarise a quarter the data holds no update for")
    summary.set_defaults(run=_summary)

    notebook = _command(commands, "notebook",
                        "write a copy of perfkit's report notebook into a folder, to make "
                        "your own", "perfkit notebook notebooks")
    notebook.add_argument("folder", type=Path, help="the folder to write it into")
    notebook.add_argument("--force", action="store_true",
                          help="replace a notebook of that name already there")
    notebook.set_defaults(run=_notebook)

    check = _command(commands, "check", "validate a params file's data (with its scheme and "
                     "layout), or a dataset folder or workbook (with the default scheme)",
                     "perfkit check params/2022-23-Q2.yaml")
    check.add_argument("data", type=Path,
                       help="a params YAML file, or a dataset folder or .xlsx workbook")
    check.set_defaults(run=_check)

    start = _command(commands, "init", "guess a params file, layout and scheme from a "
                     "council's own spreadsheets, and check them",
                     "perfkit init 'Performance Q2 2023-24.xlsx' --out council")
    start.add_argument("files", type=Path, nargs="+", help="the council's .xlsx or .csv files")
    start.add_argument("--out", type=Path, required=True,
                       help="the folder to write params.yaml, layout.yaml, scheme.yaml and "
                            "the notebook into")
    start.add_argument("--force", action="store_true",
                       help="replace those files if the folder already holds them")
    start.set_defaults(run=_init)
    return parser


def main(argv: list[str] | None = None) -> int:
    import atexit
    import gc

    from perfkit.report import stop_on_signals

    # When the process ends, Python's last collections walk every object the toolchain made
    # (about 0.2 s of a 1.7 s report) to free memory the system takes back anyway. Frozen,
    # they are skipped; this runs after every other exit handler.
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)
    args = build_parser().parse_args(argv)
    try:
        with stop_on_signals():
            return args.run(args)
    except BrokenPipeError:
        # The reader stopped reading (`perfkit summary ... | head`): what it wanted it has.
        # Python would report the closed pipe again when it flushes stdout on exit.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except PerfkitError as err:
        # Bad input is the user's to fix: say what and where, never a traceback.
        print(f"perfkit: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Interrupted as stop:
        # Ctrl-C or a scheduler's SIGTERM: one line, and the shell's exit code for it.
        name = signal.Signals(stop.signum).name
        print(f"perfkit: stopped by {name}; no report was published after it",
              file=sys.stderr)
        return 128 + stop.signum


if __name__ == "__main__":
    sys.exit(main())
