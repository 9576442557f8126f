"""A copy of the sample with long words everywhere a council might write them: 90-character
priority names, long milestone titles and long progress notes starting with a paragraph.

Test data, not a claim about what Chesterfield reported.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import SAMPLE, write_two_quarters

#: Each priority's name, 90 characters, as a council's plan might word it.
LONG_NAMES = {pid: (text * 3)[:90].rstrip() + "s" * (90 - len((text * 3)[:90].rstrip()))
              for pid, text in (
    ("TB", "Making Chesterfield a thriving borough where everyone can prosper and feel proud "),
    ("QL", "Improving the quality of life for local people in every ward, village and town "),
    ("VFM", "Providing value for money services and a financially sound council for years "))}
assert all(len(n) == 90 for n in LONG_NAMES.values())

NOTE = ("This milestone has made steady progress over the quarter, and the officer's note runs "
        "long, as many do: it describes the work done with partners, the consultation held with "
        "residents, the procurement steps taken, and what will happen next quarter. ")


def write_long_text(target: Path, quarters: int = 2) -> Path:
    """The sample (with a quarter 1 when ``quarters`` is 2) with long names, titles and notes."""
    import pandas as pd

    if quarters == 2:
        write_two_quarters(target)
    else:
        shutil.copytree(SAMPLE, target)
    read = lambda name: pd.read_csv(target / f"{name}.csv", dtype=str, keep_default_na=False)
    priorities = read("priorities")
    priorities["name"] = priorities["priority_id"].map(LONG_NAMES)
    priorities.to_csv(target / "priorities.csv", index=False)
    milestones = read("milestones")
    milestones["title"] = milestones["title"] + " – " + milestones["title"].str.lower()
    milestones.to_csv(target / "milestones.csv", index=False)
    updates = read("milestone_updates")
    updates["progress"] = [f"<p>{NOTE * (1 + i % 4)}</p>{p}" for i, p in
                           enumerate(updates["progress"])]
    updates.to_csv(target / "milestone_updates.csv", index=False)
    return target
