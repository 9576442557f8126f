"""A small dataset over two years, with directions of travel and runs worked out by hand.

Held quarters: 2021/22 Q2, Q3, Q4 and 2022/23 Q1, Q2 (Q1 of 2021/22 is not held). Test data,
not a claim about any council. The expected figures at 2022/23 Q2 are in ``EXPECTED``; each
is worked out in the comments beside the rows.
"""

from __future__ import annotations

import csv
from pathlib import Path

OLD, NEW = "2021/22", "2022/23"
QUARTERS = [(OLD, 2), (OLD, 3), (OLD, 4), (NEW, 1), (NEW, 2)]

# Milestone RAGs in the held quarters, oldest first. Amber and red are exceptions.
MILESTONES = {
    "A1": ["Red", "Red", "Red", "Red", "Red"],          # red five quarters running, over the year end
    "A2": ["Green", "Amber", "Red", "Green", "Amber"],  # new exception: run 1
    "A3": ["Amber", "Amber", "Green", "Amber", "Green"],  # improved both ways
    "A4": ["Green", "Green", "Green", "Amber", "Red"],  # run 2; declined both ways
    "A5": [None, None, None, "Green", "Green"],         # new this year: no last year
}

# Measures: (target, profile, values by held quarter). "Under 5 days" is lower-is-better.
MEASURES = {
    # 55 near, 50 missed, 58 near, 52 missed, 57 near (bar 60, 10% band): exception x5
    "M1": ("60%", "", ["55%", "50%", "58%", "52%", "57%"]),
    # 4 met, 4 met, 4.5 met, 6 missed, 6 missed: run 2; unchanged on Q1; worse than last year
    "M2": ("Under 5 days", "", ["4 days", "4 days", "4.5 days", "6 days", "6 days"]),
    # Year to date against 1,000 a year: Q2 last year 400 of a 500 bar (missed), Q3 700 of
    # 750 (near), Q4 outturn 1,100 (met); this year Q1 200 of 250 (missed), Q2 520 of 500
    # (met). Against Q1 by share of the bar: 1.04 > 0.80, improved; against last year's Q2
    # by value: 520 > 400, improved.
    "C1": ("1000", "cumulative", ["400", "700", "1100", "200", "520"]),
    # New this year: 90 then 110, improved on Q1, nothing to compare with last year.
    "N1": ("100", "", [None, None, None, "90", "110"]),
}

# The corrective action and the year-end forecast, given at 2022/23 Q2 only.
ACTIONS = {"A1": "Re-tender agreed by Cabinet", "M1": "=HYPERLINK(\"http://x\")"}  # A4, A2, M2: none
FORECASTS = {"A4": "Amber", "A3": "Green",
             "M1": "61%",         # met against 60% at the year end
             "M2": "5.5 days"}    # C1 has none: a pro-rata projection, 520 x 4 / 2 = 1,040, met

EXPECTED = {
    "travel": {
        "milestones": {
            # A1 unchanged, A2 declined, A3 improved, A4 declined, A5 unchanged
            "vs_previous_quarter": {"improved": 1, "declined": 2, "unchanged": 2,
                                    "not_comparable": 0},
            # A1 red=red, A2 amber<green, A3 green>amber, A4 red<green, A5 new
            "vs_last_year": {"improved": 1, "declined": 2, "unchanged": 1, "not_comparable": 1},
        },
        "measures": {
            # M1 57>52, M2 6=6, C1 1.04>0.80, N1 110>90
            "vs_previous_quarter": {"improved": 3, "declined": 0, "unchanged": 1,
                                    "not_comparable": 0},
            # M1 57>55, M2 6 days worse than 4, C1 520>400, N1 new
            "vs_last_year": {"improved": 2, "declined": 1, "unchanged": 0, "not_comparable": 1},
        },
    },
    # Longest first, then by ID.
    "persistent": [{"id": "A1", "quarters": 5}, {"id": "M1", "quarters": 5},
                   {"id": "A4", "quarters": 2}, {"id": "M2", "quarters": 2}],
}


def write_multiyear(target: Path) -> Path:
    """Write the dataset as the five CSV files of the data contract into ``target``."""
    target.mkdir(parents=True, exist_ok=True)

    def write(name: str, header: list[str], rows: list[list[str]]) -> None:
        with open(target / f"{name}.csv", "w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle)
            out.writerow(header)
            out.writerows(rows)

    write("priorities", ["year", "priority_id", "name"],
          [[y, "P", "A thriving place"] for y in (OLD, NEW)])
    write("milestones", ["year", "milestone_id", "priority_id", "title"],
          [[y, ident, "P", f"Milestone {ident}"] for y in (OLD, NEW)
           for ident, rags in MILESTONES.items() if y == NEW or rags[0] is not None])
    write("measures", ["year", "measure_id", "priority_id", "name", "target", "frequency",
                       "profile"],
          [[y, ident, "P", f"Measure {ident}", target, "quarterly", profile]
           for y in (OLD, NEW) for ident, (target, profile, values) in MEASURES.items()
           if y == NEW or values[0] is not None])
    def later(y: str, q: int, table: dict, ident: str) -> str:
        return table.get(ident, "") if (y, q) == QUARTERS[-1] else ""

    write("milestone_updates", ["year", "quarter", "milestone_id", "rag", "progress", "action",
                                "forecast"],
          [[y, str(q), ident, rags[i], f"Progress on {ident}.", later(y, q, ACTIONS, ident),
            later(y, q, FORECASTS, ident)]
           for i, (y, q) in enumerate(QUARTERS) for ident, rags in MILESTONES.items()
           if rags[i] is not None])
    write("measure_updates", ["year", "quarter", "measure_id", "value", "comment", "action",
                              "forecast"],
          [[y, str(q), ident, values[i], "", later(y, q, ACTIONS, ident),
            later(y, q, FORECASTS, ident)]
           for i, (y, q) in enumerate(QUARTERS) for ident, (_, _, values) in MEASURES.items()
           if values[i] is not None])
    return target
