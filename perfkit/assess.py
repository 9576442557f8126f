"""One quarter's picture: every milestone and measure of the plan year with its status.

Nothing is dropped here. A milestone or measure without a usable update keeps its row, with
no RAG or with ``Status.MISSING``/``Status.UNPARSED``, and is also listed in ``issues``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from perfkit.load import Dataset
from perfkit.model import (
    STATUS_RAG, Frequency, Issue, Polarity, Profile, Rag, Status, Travel, previous_quarter,
    previous_year,
)
from perfkit.targets import Kind, judge, parse_target, parse_value

DEFAULT_TOLERANCE = 0.10


@dataclass(frozen=True)
class Quarter:
    """The assessed quarter: tables ready for rollups, narrative, charts and the report.

    ``milestones`` adds ``rag``, ``progress``, ``previous_rag``, ``travel`` to the plan rows;
    ``measures`` adds ``value``, ``comment``, ``officer_rag``, ``status``, ``rag``, ``bar``,
    ``reason``, ``previous_value`` and ``travel``; ``issues`` has ``issue``, ``table``, ``id``,
    ``priority_id``, ``name`` and ``detail``.
    """

    year: str
    quarter: int
    priorities: pd.DataFrame
    milestones: pd.DataFrame
    measures: pd.DataFrame
    issues: pd.DataFrame


def assess_quarter(dataset: Dataset, year: str, quarter: int) -> Quarter:
    """Check every measure and collect every milestone's RAG for one quarter.

    >>> from perfkit.load import load_dataset
    >>> q = assess_quarter(load_dataset("data/chesterfield"), "2022/23", 2)
    >>> len(q.milestones), int((q.measures["status"] == "met").sum())
    (36, 16)
    """
    priorities = _priorities(dataset, year)
    milestones = _milestones(dataset, year, quarter)
    measures = _measures(dataset, year, quarter)
    issues = _issues(milestones, measures)
    return Quarter(year, quarter, priorities, milestones, measures, issues)


def quarters_held(dataset: Dataset, year: str, up_to: int) -> list[int]:
    """The quarters of ``year`` up to ``up_to`` for which the data holds any update."""
    held = set()
    for table in (dataset.milestone_updates, dataset.measure_updates):
        rows = table[table["year"] == year]
        held |= {int(q) for q in rows["quarter"].unique()}
    return sorted(q for q in held if q <= up_to)


def _priorities(dataset: Dataset, year: str) -> pd.DataFrame:
    rows = dataset.priorities[dataset.priorities["year"] == year].copy()
    order = rows["order"] if "order" in rows else pd.Series("", index=rows.index)
    rows["order"] = pd.to_numeric(order.replace("", None), errors="coerce")
    rows["_pos"] = range(len(rows))
    rows = rows.sort_values(["order", "_pos"], na_position="last")
    return rows[["priority_id", "name"]].reset_index(drop=True)


def _updates(table: pd.DataFrame, year: str, quarter: int) -> pd.DataFrame:
    return table[(table["year"] == year) & (table["quarter"] == str(quarter))]


def _milestones(dataset: Dataset, year: str, quarter: int) -> pd.DataFrame:
    plan = dataset.milestones[dataset.milestones["year"] == year]
    plan = plan[["milestone_id", "priority_id", "title",
                 *[c for c in ("objective", "lead") if c in plan]]].copy()
    now = _updates(dataset.milestone_updates, year, quarter)
    now = now[["milestone_id", "rag", *(["progress"] if "progress" in now else [])]]
    rows = plan.merge(now, on="milestone_id", how="left")
    rows["rag"] = rows["rag"].map(Rag.parse)
    rows["progress"] = rows.get("progress", pd.Series("", index=rows.index)).fillna("")
    before = _updates(dataset.milestone_updates, *previous_quarter(year, quarter))
    earlier = dict(zip(before["milestone_id"], before["rag"].map(Rag.parse)))
    rows["previous_rag"] = rows["milestone_id"].map(earlier)
    rows["travel"] = [_rag_travel(now_rag, then) for now_rag, then in
                      zip(rows["rag"], rows["previous_rag"])]
    return rows.reset_index(drop=True)


def _rag_travel(now: Rag | None, then: Rag | None) -> Travel | None:
    if not isinstance(now, Rag) or not isinstance(then, Rag):
        return None
    if now.rank == then.rank:
        return Travel.UNCHANGED
    return Travel.IMPROVED if now.rank > then.rank else Travel.DECLINED


def _measures(dataset: Dataset, year: str, quarter: int) -> pd.DataFrame:
    plan = dataset.measures[dataset.measures["year"] == year].copy()
    for column in ("polarity", "profile", "tolerance", "unit", f"q{quarter}_target"):
        if column not in plan:
            plan[column] = ""
    now = _updates(dataset.measure_updates, year, quarter)
    now = now.reindex(columns=["measure_id", "value", "rag", "comment"], fill_value="")
    rows = plan.merge(now.rename(columns={"rag": "officer_rag"}), on="measure_id", how="left")
    rows[["value", "officer_rag", "comment"]] = rows[["value", "officer_rag", "comment"]].fillna("")
    rows["had_update"] = rows["measure_id"].isin(now["measure_id"])

    # The bar for this quarter: a quarter's own target replaces the pro-rata share.
    own = rows[f"q{quarter}_target"].fillna("")
    rows["bar_text"] = own.where(own != "", rows["target"])
    profile = rows["profile"].str.lower().where(own == "", Profile.SNAPSHOT.value)
    rows["profile"] = profile.replace("", Profile.SNAPSHOT.value)
    rows["frequency"] = rows["frequency"].str.lower()
    rows["polarity"] = rows["polarity"].str.lower()
    rows["tolerance"] = pd.to_numeric(rows["tolerance"].replace("", None),
                                      errors="coerce").fillna(DEFAULT_TOLERANCE)
    rows["previous_value"] = _previous_values(dataset, rows["measure_id"], year, quarter)

    keys = ["bar_text", "value", "polarity", "profile", "tolerance", "previous_value"]
    # Many rows share a target and value; each distinct combination is judged once.
    distinct = rows[keys].drop_duplicates()
    verdicts = {}
    for combo in distinct.itertuples(index=False, name=None):
        target_text, value, polarity, profile_name, tolerance, previous = combo
        target = parse_target(target_text)
        verdicts[combo] = judge(
            target, parse_value(value, target.duration_unit), quarter=quarter,
            polarity=Polarity(polarity) if polarity else None, profile=Profile(profile_name),
            tolerance=tolerance,
            previous=parse_value(previous, target.duration_unit) if previous else None)
    checks = [verdicts[combo] for combo in rows[keys].itertuples(index=False, name=None)]
    rows["status"] = [c.status for c in checks]
    rows["bar"] = [c.bar for c in checks]
    rows["reason"] = [c.reason for c in checks]

    quarterly = rows["frequency"] == Frequency.QUARTERLY.value
    gap = quarterly & (rows["value"] == "") & (rows["status"] != Status.UNPARSED)
    rows.loc[gap, "status"] = Status.MISSING
    rows.loc[gap, "reason"] = "No figure was reported this quarter for a quarterly measure."
    rows["rag"] = rows["status"].map(STATUS_RAG)
    rows["officer_rag"] = rows["officer_rag"].map(Rag.parse)
    rows["travel"] = [
        _value_travel(v, p, t, pol) for v, p, t, pol in
        zip(rows["value"], rows["previous_value"], rows["bar_text"], rows["polarity"])]
    return rows.drop(columns=[c for c in rows if c.startswith("_")]).reset_index(drop=True)


def _previous_values(dataset: Dataset, ids: pd.Series, year: str, quarter: int) -> pd.Series:
    """Each measure's last figure: the previous quarter's, else the same quarter last year's."""
    found = pd.Series("", index=ids.index, dtype=object)
    for when in (previous_quarter(year, quarter), (previous_year(year), quarter)):
        rows = _updates(dataset.measure_updates, *when)
        if "value" not in rows:
            continue
        values = dict(zip(rows["measure_id"], rows["value"]))
        candidate = ids.map(lambda i: values.get(i, ""))
        usable = candidate.map(lambda v: parse_value(v).number is not None)
        found = found.where((found != "") | ~usable, candidate)
    return found


def _value_travel(value: str, previous: str, target_text: str, polarity: str) -> Travel | None:
    target = parse_target(target_text)
    now = parse_value(value, target.duration_unit).number
    then = parse_value(previous, target.duration_unit).number if previous else None
    if now is None or then is None:
        return None
    if now == then:
        return Travel.UNCHANGED
    direction = (Polarity(polarity) if polarity else target.polarity) or (
        Polarity.LOWER if target.duration_unit else Polarity.HIGHER)
    better = now > then if direction is Polarity.HIGHER else now < then
    return Travel.IMPROVED if better else Travel.DECLINED


def _issues(milestones: pd.DataFrame, measures: pd.DataFrame) -> pd.DataFrame:
    found: list[dict] = []

    def add(issue: Issue, table: str, row, name: str, detail: str) -> None:
        found.append({"issue": issue, "table": table, "id": row[f"{table}_id"],
                      "priority_id": row["priority_id"], "name": name, "detail": detail})

    for _, row in milestones[milestones["rag"].isna()].iterrows():
        add(Issue.MISSING_UPDATE, "milestone", row, row["title"],
            "No RAG status was given for this milestone this quarter.")
    for _, row in measures.iterrows():
        status = row["status"]
        if status is Status.MISSING:
            add(Issue.MISSING_UPDATE, "measure", row, row["name"], row["reason"])
        elif status is Status.UNPARSED:
            unreadable_target = parse_target(row["bar_text"]).kind is Kind.UNPARSED
            add(Issue.UNPARSED_TARGET if unreadable_target else Issue.UNREADABLE_VALUE,
                "measure", row, row["name"], row["reason"])
        elif status is Status.NOT_DUE:
            add(Issue.NOT_DUE, "measure", row, row["name"], row["reason"])
        officer = row["officer_rag"]
        if isinstance(officer, Rag) and row["rag"] is not None and officer != row["rag"]:
            add(Issue.RAG_DISAGREES, "measure", row, row["name"],
                f"The officer gave {officer.label}; the check gives {row['rag'].label} "
                f"({row['reason']})")
    return pd.DataFrame(found, columns=["issue", "table", "id", "priority_id", "name", "detail"])
