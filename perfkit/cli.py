"""``perfkit``: the command line. Each command is a thin skin over one library call."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path

from perfkit.errors import PerfkitError

EXIT_BAD_INPUT = 2


def _summary(args: argparse.Namespace) -> int:
    from perfkit.load import load_dataset
    from perfkit.params import load_params
    from perfkit.summary import summarise

    params, data = load_params(args.params)
    result = summarise(load_dataset(data), params.year, params.quarter)
    if args.json:
        print(json.dumps(result.rollup.to_summary(), indent=2))
        return 0
    print(params.heading)
    print("=" * len(params.heading))
    for group in [result.rollup.overall, *result.rollup.priorities]:
        m, me = group.milestones, group.measures
        print(f"{group.name}: milestones {m.progressing_well} of {m.rated} progressing well "
              f"({m.pct_progressing_well}%), green {m.green}, amber {m.amber}, red {m.red}, "
              f"complete {m.complete}; quarterly measures met {me.met} of {me.tracked}"
              + (f" ({me.pct_met}%)" if me.pct_met is not None else ""))
    print()
    for paragraph in result.paragraphs:
        print(textwrap.fill(paragraph, width=96))
        print()
    return 0


def _check(args: argparse.Namespace) -> int:
    from perfkit.load import load_dataset

    dataset = load_dataset(args.data)
    print(f"{args.data}: {len(dataset.milestones)} milestones, {len(dataset.measures)} measures; "
          "no problems found")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="perfkit", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    summary = commands.add_parser("summary", help="print a quarter's figures and narrative")
    summary.add_argument("params", type=Path, help="a params YAML file")
    summary.add_argument("--json", action="store_true", help="print summary.json instead")
    summary.set_defaults(run=_summary)

    check = commands.add_parser("check", help="validate a dataset folder or workbook")
    check.add_argument("data", type=Path)
    check.set_defaults(run=_check)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except PerfkitError as err:
        # Bad input is the user's to fix: say what and where, never a traceback.
        print(f"perfkit: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
