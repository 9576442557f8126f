"""One quarter's picture: every milestone and measure of the plan year with its status.

Nothing is dropped here. A milestone or measure without a usable update keeps its row, with
no RAG or with ``Status.MISSING``/``Status.UNPARSED``, and is also listed in ``issues``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from perfkit.load import Dataset
from perfkit.scheme import Scheme, Source, load_scheme
from perfkit.model import (
    STATUS_RAG, Frequency, Issue, Polarity, Profile, Rag, Status, Travel, previous_quarter,
    previous_year,
)
from perfkit.outlook import measure_forecasts, milestone_forecasts, missing_actions
from perfkit.targets import (
    STATUS_CODES, Kind, Unit, check_many, grade, minutes_and_seconds, parse_target, parse_value,
    read_values, show,
)


@dataclass(frozen=True)
class Quarter:
    """The assessed quarter: tables ready for rollups, narrative, charts and the report.

    ``milestones`` adds ``rag`` (the scheme's status key, or None), ``progress``,
    ``previous_rag``, ``travel`` to the plan rows; ``measures`` adds ``value``, ``comment``,
    ``officer_rag``, ``status`` (the target check), ``rag``, ``bar``, ``reason``,
    ``previous_value``, ``travel`` and ``state`` (the scheme's status key); ``issues`` has
    ``issue``, ``table``, ``id``, ``priority_id``, ``name`` and ``detail``.
    """

    year: str
    quarter: int
    priorities: pd.DataFrame
    milestones: pd.DataFrame
    measures: pd.DataFrame
    issues: pd.DataFrame
    scheme: Scheme | None = None  # None: the default scheme


def assess_quarter(dataset: Dataset, year: str, quarter: int,
                   scheme: Scheme | None = None) -> Quarter:
    """Check every measure and collect every milestone's status for one quarter, in the
    ``scheme``'s words (by default, Chesterfield's).

    >>> from perfkit.load import load_dataset
    >>> q = assess_quarter(load_dataset("data/chesterfield"), "2022/23", 2)
    >>> len(q.milestones), int((q.measures["status"] == "met").sum())
    (36, 16)
    """
    scheme = scheme or load_scheme()
    priorities = _priorities(dataset, year)
    milestones = _milestones(dataset, year, quarter, scheme)
    measures = _measures(dataset, year, quarter, scheme)
    issues = _issues(milestones, measures, scheme, quarter)
    unacted = missing_actions(milestones, measures, scheme)
    if unacted:
        issues = pd.concat([issues, pd.DataFrame(unacted, columns=issues.columns)],
                           ignore_index=True)
    return Quarter(year, quarter, priorities, milestones, measures, issues, scheme)


def quarters_held(dataset: Dataset, year: str, up_to: int) -> list[int]:
    """The quarters of ``year`` up to ``up_to`` for which the data holds any update."""
    held = set()
    for table in (dataset.milestone_updates, dataset.measure_updates):
        rows = table[table["year"] == year]
        held |= {int(q) for q in rows["quarter"].unique()}
    return sorted(q for q in held if q <= up_to)


def updates_held(dataset: Dataset) -> dict[str, list[int]]:
    """Every year the data holds updates for, with its quarters, in order.

    >>> from perfkit.load import load_dataset
    >>> updates_held(load_dataset("data/chesterfield"))
    {'2022/23': [2]}
    """
    held: dict[str, set[int]] = {}
    for table in (dataset.milestone_updates, dataset.measure_updates):
        for year, quarter in table[["year", "quarter"]].drop_duplicates().itertuples(index=False):
            held.setdefault(str(year), set()).add(int(quarter))
    return {year: sorted(held[year]) for year in sorted(held)}


def _priorities(dataset: Dataset, year: str) -> pd.DataFrame:
    rows = dataset.priorities[dataset.priorities["year"] == year].copy()
    order = rows["order"] if "order" in rows else pd.Series("", index=rows.index)
    rows["order"] = pd.to_numeric(order.replace("", None), errors="coerce")
    rows["_pos"] = range(len(rows))
    rows = rows.sort_values(["order", "_pos"], na_position="last")
    return rows[["priority_id", "name"]].reset_index(drop=True)


def _updates(table: pd.DataFrame, year: str, quarter: int) -> pd.DataFrame:
    return table[(table["year"] == year) & (table["quarter"] == str(quarter))]


def _milestones(dataset: Dataset, year: str, quarter: int, scheme: Scheme) -> pd.DataFrame:
    plan = dataset.milestones[dataset.milestones["year"] == year]
    plan = plan[["milestone_id", "priority_id", "title",
                 *[c for c in ("objective", "lead") if c in plan]]].copy()
    now = _updates(dataset.milestone_updates, year, quarter)
    now = now[["milestone_id", "rag",
               *(c for c in ("progress", "action", "forecast") if c in now)]]
    rows = plan.merge(now, on="milestone_id", how="left")
    rows["rag"] = rows["rag"].map(lambda w: scheme.word_key("milestones", w))
    rows["progress"] = rows.get("progress", pd.Series("", index=rows.index)).fillna("")
    for column in ("action", "forecast"):  # kept only when the data has the column
        if column in rows:
            rows[column] = rows[column].fillna("")
    rows["forecast_state"] = milestone_forecasts(rows, scheme)
    before = _updates(dataset.milestone_updates, *previous_quarter(year, quarter))
    earlier = dict(zip(before["milestone_id"],
                       before["rag"].map(lambda w: scheme.word_key("milestones", w))))
    rows["previous_rag"] = rows["milestone_id"].map(earlier)
    rows["travel"] = [_rag_travel(scheme.rank(now_rag), scheme.rank(then)) for now_rag, then
                      in zip(rows["rag"], rows["previous_rag"])]
    return rows.reset_index(drop=True)


def _assumed_polarity(row, quarter: int) -> str | None:
    """Why a measure's verdict rests on a direction nobody gave, or None.

    The direction is assumed when the ``polarity`` column is blank and the target's words
    do not say it ("Under", "at least"); it matters when the other direction would change
    the verdict.
    """
    from perfkit.targets import check_target

    if not Status(row["status"]).tracked or str(row.get("polarity") or "").strip():
        return None
    target = parse_target(row["bar_text"])
    if target.polarity is not None:
        return None
    args = dict(quarter=quarter, profile=str(row.get("profile") or "") or "snapshot",
                low_target=str(row.get("low_target") or "") or None)
    tolerance = str(row.get("tolerance") or "")
    if tolerance:
        args["tolerance"] = tolerance
    try:
        higher = check_target(row["bar_text"], row["value"], polarity="higher", **args)
        lower = check_target(row["bar_text"], row["value"], polarity="lower", **args)
    except Exception:  # noqa: BLE001 - a finding is never worth failing the report for
        return None
    if higher.status == lower.status:
        return None
    assumed, other = ("higher", lower) if higher.status == row["status"] else ("lower", higher)
    return (f"No polarity is given and the target's words do not say which way is better, "
            f"so {assumed} was taken as better. Were {'lower' if assumed == 'higher' else 'higher'} "
            f"better, it would be {other.status.label.lower()}; give the measure a polarity.")


def _rag_travel(now: int | None, then: int | None) -> Travel | None:
    """Travel between two statuses' ranks; a status without a rank is not comparable."""
    if now is None or then is None:
        return None
    if now == then:
        return Travel.UNCHANGED
    return Travel.IMPROVED if now > then else Travel.DECLINED


def _measures(dataset: Dataset, year: str, quarter: int, scheme: Scheme) -> pd.DataFrame:
    rows, _ = _measure_rows(dataset, [(year, quarter)], report=True)
    rows = _own_words(_checked(rows, reasons=True), scheme)
    rows["state"] = [scheme.measure_state(s, o) for s, o in
                     zip(rows["status"], rows["officer_rag"])]
    # The officer's word is the measure's status (not only compared with the check).
    rows["officer_rated"] = rows["officer_rag"].map(
        lambda w: scheme.measure_source is not Source.CHECK
        and scheme.word_key("measures", w) is not None).astype(bool)
    rows["officer_rag"] = rows["officer_rag"].map(Rag.parse)
    plan = dataset.measures[dataset.measures["year"] == year]
    profiles = dict(zip(plan["measure_id"], plan["profile"].fillna("").str.strip().str.lower()
                        if "profile" in plan else [""] * len(plan)))
    rows = pd.concat([rows, measure_forecasts(rows, quarter, rows["measure_id"].map(profiles),
                                              scheme)], axis=1)
    rows["travel"] = [
        _value_travel(v, p, t, pol) for v, p, t, pol in
        zip(rows["value"], rows["previous_value"], rows["bar_text"], rows["polarity"])]
    return rows.drop(columns=[c for c in rows if c.startswith("_")])


def _own_words(rows: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """The scheme's own "no target", "not yet" and "no data" words, as the check's statuses."""
    from perfkit.scheme import words

    said = [(scheme.no_target_words, rows["bar_text"], Status.NO_TARGET,
             "The council sets no target for this measure ({text})."),
            (scheme.not_yet_words, rows["value"], Status.NOT_DUE,
             "The figure is not due yet ({text})."),
            (scheme.no_data_words, rows["value"], Status.NO_DATA,
             "No figure is available ({text}).")]
    for texts, column, status, reason in said:
        if not texts:
            continue
        hit = column.fillna("").str.strip().str.lower().str.replace(r"\s+", " ", regex=True) \
            .isin(words(texts)).to_numpy(dtype=bool)
        rows.loc[hit, "status"] = status
        rows.loc[hit, "reason"] = [reason.format(text=t) for t in column[hit]]
        rows.loc[hit, "rag"] = None
        rows.loc[hit, "bar"] = np.nan
    return rows


def check_measures(dataset: Dataset, periods: Iterable[tuple[str, int]] | None = None, *,
                   reasons: bool = False) -> pd.DataFrame:
    """Every measure of the plan in each quarter, checked as :func:`assess_quarter` checks it.

    ``periods`` are (year, quarter) pairs; by default, every quarter the measure updates
    hold. There is one row per plan measure and quarter, with ``year``, ``quarter``,
    ``measure_id``, ``priority_id``, ``frequency``, ``bar_text``, ``value``,
    ``previous_value``, ``status``, ``rag`` and ``bar``. Text columns and ``status`` are
    categorical, so a million rows stay small. ``reason`` is added only if asked for:
    writing one for each row is what would make a million rows slow. Direction of travel
    is left to :func:`assess_quarter`.

    >>> from perfkit.load import load_dataset
    >>> rows = check_measures(load_dataset("data/chesterfield"))
    >>> len(rows), int((rows["status"] == "met").sum())
    (46, 16)
    """
    rows, read = _measure_rows(dataset, None if periods is None else list(periods),
                               report=False)
    rows = _checked(rows, reasons=reasons, value_read=read)
    keep = ["year", "_quarter", "measure_id", "priority_id", "frequency", "bar_text", "value",
            "previous_value", "status", "rag", "bar", *(["reason"] if reasons else [])]
    return rows[keep].rename(columns={"_quarter": "quarter"})


def count_statuses(checked: pd.DataFrame,
                   by: Sequence[str] = ("year", "quarter", "priority_id")) -> pd.DataFrame:
    """Counts by status of checked measure rows, one row per group: the rollup in bulk.

    ``checked`` is :func:`check_measures` output, or a quarter's ``measures``. The columns
    are those of :class:`~perfkit.rollup.MeasureCounts`: ``total``, ``quarterly``,
    ``tracked``, one per status, and ``pct_met`` (a whole percentage, half up, or missing
    when nothing was tracked).

    >>> from perfkit.load import load_dataset
    >>> counts = count_statuses(check_measures(load_dataset("data/chesterfield")))
    >>> counts.loc[("2022/23", 2, "VFM"), ["tracked", "met", "pct_met"]].tolist()
    [8, 4, 50]
    """
    # Each row's group is numbered once; the counts are then one bincount.
    group, keys = _groups(checked, list(by))
    status = _status_codes(checked["status"])
    width = len(STATUS_CODES)
    table = np.bincount(group * width + status, minlength=len(keys) * width)
    counts = pd.DataFrame(table.reshape(len(keys), width), index=keys,
                          columns=[s.value for s in STATUS_CODES])
    quarterly = (checked["frequency"] == Frequency.QUARTERLY.value).to_numpy(dtype=bool)
    tracked = counts["met"] + counts["near"] + counts["missed"]
    counts.insert(0, "total", counts.sum(axis=1))
    counts.insert(1, "quarterly", np.bincount(group, weights=quarterly,
                                              minlength=len(keys)).astype(np.int64))
    counts.insert(2, "tracked", tracked)
    # Half up in whole numbers, as rollup.percent(): floor((200 met + tracked) / 2 tracked).
    whole = (2 * tracked).astype("Int64").where(tracked > 0)
    counts["pct_met"] = (200 * counts["met"] + tracked).astype("Int64") // whole
    return counts


def _groups(frame: pd.DataFrame, by: list[str]) -> tuple[np.ndarray, pd.Index]:
    """Each row's group number, and the groups' keys, as ``frame.groupby(by, sort=True,
    observed=True)`` numbers and sorts them.

    Categorical columns (as check_measures gives) and small whole numbers (the quarter)
    are numbered straight from their codes: pandas' grouping took 0.05 s at a million rows,
    half the rollup. Anything else is grouped by pandas.
    """
    columns = [frame[name] for name in by]
    codes, sizes = [], []
    for column in columns:
        if isinstance(column.dtype, pd.CategoricalDtype):
            code, size = column.cat.codes.to_numpy(), len(column.cat.categories)
        elif pd.api.types.is_integer_dtype(column.dtype) and len(column):
            code, size = column.to_numpy(), None
        else:
            break
        if len(code) and (code.min() < 0 or code.max() >= 1 << 20):
            break  # missing (a group of none) or not small
        codes.append(code.astype(np.int64))
        sizes.append(int(code.max(initial=0)) + 1 if size is None else max(size, 1))
    else:
        space = math.prod(sizes)
        if len(frame) and space <= max(4 * len(frame), 1 << 16):
            combined = np.zeros(len(frame), dtype=np.int64)
            for code, size in zip(codes, sizes):
                combined = combined * size + code
            present = np.flatnonzero(np.bincount(combined, minlength=space))
            number = np.full(space, -1, dtype=np.int64)
            number[present] = np.arange(len(present))
            levels, rest = [], present
            for column, size in zip(reversed(columns), reversed(sizes)):
                rest, code = np.divmod(rest, size)
                levels.insert(0, pd.Categorical.from_codes(code, dtype=column.dtype)
                              if isinstance(column.dtype, pd.CategoricalDtype)
                              else code.astype(column.dtype))
            keys = (pd.MultiIndex.from_arrays(levels, names=by) if len(by) > 1
                    else pd.Index(levels[0], name=by[0]))
            return number[combined], keys
    grouped = frame.groupby(by, sort=True, observed=True)
    return grouped.ngroup().to_numpy(), grouped.size().index


def _status_codes(status: pd.Series) -> np.ndarray:
    """Each row's position in ``Status``, from a categorical or a column of Status words."""
    coded = status.array if isinstance(status.dtype, pd.CategoricalDtype) else \
        pd.Categorical(status)
    order = np.array([STATUS_CODES.index(Status(s)) for s in coded.categories], dtype=np.intp)
    return order[np.asarray(coded.codes)]


_QUARTER = {"1": 1, "2": 2, "3": 3, "4": 4}
_STATUS_NAMES = [s.value for s in STATUS_CODES]
_GAP = "No figure was reported this quarter for a quarterly measure."


def _measure_rows(dataset: Dataset, periods: list[tuple[str, int]] | None, *,
                  report: bool) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """The plan's measures in each period, with that quarter's figure and the last usable
    figure before it; by default the periods are those the measure updates hold. Also
    :func:`read_values` of the figures' texts, which are ``value``'s categories when not for
    the ``report``: they are read once, here, to find the usable ones, and not again to check.

    For the ``report``, every plan column is kept, as text. Otherwise only the columns
    :func:`check_measures` returns are kept, as categoricals. Rows are matched on integer
    codes of year, quarter and ID, and each text column is hashed once: at a million rows,
    merges on text columns would cost several times the checking itself.
    """
    plan, updates = dataset.measures, dataset.measure_updates
    n_plan = len(plan)
    ids, id_names = pd.factorize(_stacked(plan["measure_id"], updates["measure_id"]))
    years, year_names = _runs_factorized(_stacked(plan["year"], updates["year"]))
    absent = len(year_names)  # the code of a year the data do not hold: it matches nothing
    year_code = {y: i for i, y in enumerate(year_names)}
    width = max(len(id_names), 1)

    def key(year: np.ndarray, quarter: np.ndarray, measure: np.ndarray) -> np.ndarray:
        return (year.astype(np.int64) * 5 + quarter) * width + measure

    update_year, update_quarter = years[n_plan:], _quarter_numbers(updates["quarter"])
    if periods is None:
        held = np.flatnonzero(np.bincount(update_year * 5 + update_quarter,
                                          minlength=5 * absent))
        periods = sorted((year_names[c // 5], c % 5) for c in held if c % 5)
    # Keys run below (absent + 1) * 5 * width: a year the data do not hold is ``absent``.
    find_update = _finder(key(update_year, update_quarter, ids[n_plan:]),
                          (absent + 1) * 5 * width)

    # One row per plan measure of the period's year and quarter.
    plan_year, plan_id = years[:n_plan], ids[:n_plan]
    picks = [np.flatnonzero(plan_year == year_code.get(y, absent)) for y, _ in periods]
    at = np.concatenate([np.zeros(0, dtype=np.intp), *picks])
    quarter = np.concatenate([np.zeros(0, dtype=np.int64),
                              *(np.full(len(p), q) for p, (_, q) in zip(picks, periods))])
    row_year, row_id = plan_year[at], plan_id[at]
    now = find_update(key(row_year, quarter, row_id))

    # Each figure is hashed once; the earlier figures are found among the same codes.
    value_codes, value_names = _texts_of(updates, "value")
    blank = _code(value_names, "")
    value_codes = np.append(value_codes, blank)  # position -1, no update: ""
    value = value_codes[now]
    last_year = np.full(absent + 1, absent)
    for y, _ in periods:
        last_year[year_code.get(y, absent)] = year_code.get(previous_year(y), absent)
    earlier = last_year[row_year]
    previous = np.full(len(at), blank)
    read = read_values(value_names)
    usable = ~np.isnan(read["number"])
    # The previous quarter's figure if it reads as a number, else the same quarter's last year.
    for year, q in ((np.where(quarter == 1, earlier, row_year),
                     np.where(quarter == 1, 4, quarter - 1)), (earlier, quarter)):
        candidate = value_codes[find_update(key(year, q, row_id))]
        fill = (previous == blank) & usable[candidate]
        previous[fill] = candidate[fill]

    bar_text, bar_names, own = _bar_texts(plan, at, quarter)
    profile, profile_names = _texts_of(plan, "profile", str.lower)
    profile_names = _with(profile_names, Profile.SNAPSHOT.value)
    profile = profile[at]
    # As the plan declares it: travel compares a cumulative figure by its share of the bar
    # even where a quarter's own target makes its check a snapshot. (Only the report shows it.)
    declared = profile_names[profile] if report else None
    # A quarter's own target is that quarter's bar as it stands, so never pro rata.
    profile[own | (profile == _code(profile_names, ""))] = _code(profile_names,
                                                                 Profile.SNAPSHOT.value)
    own_value = value
    summed = (profile_names == Profile.SUM.value)[profile]
    if summed.any():
        value, value_names, profile, profile_names = _years_to_date(
            value, value_names, read["number"], value_codes, profile, profile_names, quarter,
            lambda qs, at_rows: find_update(key(row_year[at_rows], qs, row_id[at_rows])))
        if len(value_names) > len(usable):  # the sums, as figures of their own
            more = read_values(value_names[len(usable):])
            read = {name: np.concatenate([read[name], more[name]]) for name in read}
    coded = {
        "bar_text": (bar_text, bar_names), "value": (value, value_names),
        "previous_value": (previous, value_names), "profile": (profile, profile_names),
        "polarity": _texts_of(plan, "polarity", str.lower, at),
        "frequency": _texts_of(plan, "frequency", str.lower, at),
    }
    # A tolerance is a share of the bar or points ("5 points"), so it stays text until checked.
    coded["tolerance"] = _texts_of(plan, "tolerance", at=at)
    coded["low_target"] = _texts_of(plan, "low_target", at=at)
    if report:
        added = {c: "" for c in ("polarity", "profile", "tolerance", "low_target", "unit",
                                 *(f"q{q}_target" for q in sorted({q for _, q in periods})))
                 if c not in plan}
        rows = plan.assign(**added).take(at).reset_index(drop=True)
        text = plan["target"].dtype  # text columns keep the dataset's text type, even if empty
        for name in ("frequency", "polarity", "profile", "value", "tolerance", "low_target"):
            codes, names = coded[name]
            rows[name] = pd.Series(names[codes], dtype=text)
        rows["declared_profile"] = pd.Series(declared, dtype=text)
        rows["officer_rag"] = pd.Series(_pick(updates, "rag", now), dtype=text)
        rows["comment"] = pd.Series(_pick(updates, "comment", now), dtype=text)
        for column in ("action", "forecast"):  # kept only when the data has the column
            if column in updates:
                rows[column] = pd.Series(_pick(updates, column, now), dtype=text)
        rows["had_update"] = now >= 0
        rows["bar_text"] = pd.Series(bar_names[bar_text], dtype=text)
        rows["previous_value"] = pd.Series(value_names[previous], dtype=object)
        # The quarter's own figure, where the value checked is a year to date (a summed
        # measure's); the same as ``value`` otherwise.
        rows["quarter_value"] = pd.Series(_quarter_texts(own_value, value_names, summed,
                                                         read["number"]), dtype=text)
    else:
        # The earlier figures are among the same texts: their categories are checked once.
        figures = pd.CategoricalDtype(pd.Index(value_names, dtype=object))
        rows = pd.DataFrame({
            "year": pd.Categorical.from_codes(row_year, year_names),
            "measure_id": pd.Categorical.from_codes(row_id, id_names),
            "priority_id": _categorical(*_texts(plan["priority_id"], at=at)),
            **{name: pd.Categorical.from_codes(codes, dtype=figures, validate=False)
               if name in ("value", "previous_value") else _categorical(codes, names)
               for name, (codes, names) in coded.items()},
        })
    rows["_quarter"] = quarter
    return rows, read


def _finder(keys: np.ndarray, size: int) -> Callable[[np.ndarray], np.ndarray]:
    """A function giving the position among ``keys`` of each key asked for, or -1.

    Keys are integers from 0 to ``size``; where a key repeats (load_dataset reports it), the
    first one counts. When ``size`` is not much more than the keys, positions are looked up
    in a table indexed by key: a tenth of the time of hashing them at a million rows.
    """
    positions = np.arange(len(keys))
    if size <= 4 * len(keys) + 1024:
        table = np.full(size, -1, dtype=np.intp)
        table[keys] = positions
        if not (table[keys] == positions).all():  # a key repeats
            table[:] = -1
            first = ~pd.Index(keys).duplicated()
            table[keys[first]] = positions[first]
        return lambda asked: table[asked]
    index = pd.Index(keys)
    if not index.is_unique:  # a repeat gets a key of its own that nobody asks for
        index = pd.Index(np.where(index.duplicated(), -1 - positions, keys))
    return index.get_indexer


def _years_to_date(value: np.ndarray, names: np.ndarray, numbers: np.ndarray,
                   value_codes: np.ndarray, profile: np.ndarray, profile_names: np.ndarray,
                   quarter: np.ndarray, find: Callable[[np.ndarray, np.ndarray], np.ndarray]):
    """A summed measure's value as its year to date: the own figures of the year's quarters
    up to this one, added up (a quarter with no figure adds nothing), then checked as a
    cumulative measure is. At quarter 4 that is the year's outturn.

    ``numbers`` are :func:`read_values`' numbers of ``names`` (NaN for no number).
    ``find(quarters, rows)`` gives the update row of each row's measure in those quarters of
    its year (-1 where there is none). A quarter with no figure of its own keeps its value
    (missing, not due), so it is reported as it stands.
    """
    value = value.copy()
    numbers = [None if math.isnan(x) else x for x in numbers.tolist()]  # as parse_value reads
    # A total written as a figure the data already holds ("450") takes that figure's code:
    # the value column's categories must stay unique.
    added: dict[str, int] = {text: code for code, text in enumerate(names.tolist())}
    extra: list[str] = []
    summed = np.flatnonzero(profile == _code(profile_names, Profile.SUM.value))
    for i in summed.tolist():
        if numbers[value[i]] is None:
            continue
        at = np.full(int(quarter[i]), i)
        found = find(np.arange(1, int(quarter[i]) + 1), at)
        total = sum(numbers[value_codes[f]] or 0 for f in found.tolist() if f >= 0)
        text = _sum_text(total, names[value[i]])
        if text not in added:
            added[text] = len(names) + len(extra)
            extra.append(text)
        value[i] = added[text]
    names = np.append(names, np.array(extra, dtype=object)) if extra else names
    profile_names = _with(profile_names, Profile.CUMULATIVE.value)
    profile = profile.copy()
    profile[summed] = _code(profile_names, Profile.CUMULATIVE.value)
    return value, names, profile, profile_names


def _quarter_texts(own: np.ndarray, names: np.ndarray, summed: np.ndarray,
                   numbers: np.ndarray) -> np.ndarray:
    """Each row's own quarter figure as text: a summed measure's written as its year to date
    is (:func:`_sum_text`), so the two read alike side by side; others as the officer wrote.

    >>> names = np.array(["115000", "Annual update", "72%"], dtype=object)
    >>> _quarter_texts(np.array([0, 1, 2]), names, np.array([True, True, False]),
    ...                np.array([115000.0, np.nan, 72.0])).tolist()
    ['115,000', 'Annual update', '72%']
    """
    texts = names[own]
    for i in np.flatnonzero(summed & ~np.isnan(numbers[own])).tolist():
        texts[i] = _sum_text(float(numbers[own[i]]), texts[i])
    return texts


def _sum_text(total: float, like: str) -> str:
    """A sum written as the figures it adds up were ("£" kept).

    >>> _sum_text(1100.0, "350"), _sum_text(2500.5, "£1,200")
    ('1,100', '£2,500.5')
    """
    text = f"{total:,.0f}" if float(total).is_integer() else f"{total:,.2f}".rstrip("0")
    return ("£" if like.lstrip().startswith("£") else "") + text


def _bar_texts(plan: pd.DataFrame, at: np.ndarray,
               quarter: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's bar as written, as codes and texts, and whether it is the quarter's own."""
    codes, names = _texts_of(plan, "target", at=at)
    own = np.zeros(len(at), dtype=bool)
    for q in sorted(pd.unique(quarter).tolist()):  # hashed: np.unique sorts a million rows
        column = f"q{q}_target"
        if column not in plan:
            continue
        if (_objects(plan[column]) == "").all():  # no quarter has a target of its own
            continue
        own_codes, own_names = _texts(plan[column])
        rows = np.flatnonzero(quarter == q)
        mine = own_codes[at[rows]]
        given = mine != _code(own_names, "")
        # Codes into the texts of both columns: the target's, then the quarter's own.
        both, names = pd.factorize(np.concatenate([names, own_names]))
        names = np.asarray(names, dtype=object)
        codes = both[codes]
        codes[rows[given]] = both[len(both) - len(own_names) + mine[given]]
        own[rows[given]] = True
    return codes, names, own


def _objects(column: pd.Series) -> np.ndarray:
    # Hashing a plain object array skips pandas' checks on a text column: about a third
    # quicker at a million rows.
    return column.to_numpy(dtype=object)


def _runs_factorized(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(values)``, hashing a column that runs in long stretches of one entry
    (years and quarters, as tables are kept) once a stretch: comparing neighbours took a
    third of the time of hashing a million years.
    """
    if len(values) > 1:
        starts = np.flatnonzero(np.concatenate([[True], values[1:] != values[:-1]]))
        if 8 * len(starts) <= len(values):
            codes, names = pd.factorize(values[starts])
            return np.repeat(codes, np.diff(np.append(starts, len(values)))), names
    return pd.factorize(values)


def _stacked(first: pd.Series, second: pd.Series) -> np.ndarray:
    # One array, not a Series: pd.concat would join the two indexes as well (a third of the
    # time of hashing the texts, at a million rows).
    return np.concatenate([_objects(first), _objects(second)])


def _texts_of(table: pd.DataFrame, name: str, change: Callable[[str], str] | None = None,
              at: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_texts` of a column of ``table``; a column it lacks is blank throughout."""
    if name not in table:  # nothing to hash
        return np.zeros(len(table) if at is None else len(at), dtype=np.intp), \
            np.array([""], dtype=object)
    return _texts(table[name], change, at)


def _texts(column: pd.Series, change: Callable[[str], str] | None = None,
           at: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Codes into the distinct texts of a column, each ``change``d, taken ``at`` rows.

    A missing cell is "", and "" is always among the texts, exactly once.
    """
    codes, names = pd.factorize(_objects(column))
    names = _with(np.asarray(names, dtype=object), "")
    codes[codes < 0] = _code(names, "")  # a missing cell
    if change is not None:
        again, names = pd.factorize(np.array([change(n) for n in names], dtype=object))
        codes, names = again[codes], np.asarray(names, dtype=object)
    return (codes if at is None else codes[at]), names


def _with(names: np.ndarray, text: str) -> np.ndarray:
    return names if (names == text).any() else np.append(names, np.array([text], dtype=object))


def _code(names: np.ndarray, text: str) -> int:
    return int(np.flatnonzero(names == text)[0])


def _categorical(codes: np.ndarray, names: np.ndarray) -> pd.Categorical:
    # Codes made here are always in range, so only the categories are checked (unique).
    return pd.Categorical.from_codes(codes, categories=pd.Index(names, dtype=object),
                                     validate=False)


def _quarter_numbers(column: pd.Series) -> np.ndarray:
    codes, names = _runs_factorized(column.to_numpy(dtype=object))
    # A quarter outside 1 to 4 (load_dataset reports it) is 0, which matches no period.
    return np.array([_QUARTER.get(n, 0) for n in names] + [0], dtype=np.int64)[codes]


def _pick(table: pd.DataFrame, column: str, at: np.ndarray) -> np.ndarray:
    """``table[column]`` at row positions ``at``, as text; position -1 (no row) gives ""."""
    if column not in table:
        return np.full(len(at), "", dtype=object)
    cells = table[column].fillna("").to_numpy(dtype=object)
    return np.append(cells, "")[at]


def _checked(rows: pd.DataFrame, reasons: bool,
             value_read: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """Status, bar and rag (and reason) for rows from :func:`_measure_rows`.

    Text columns give Status members, as a quarter's assessment has always had; categorical
    columns give a categorical status. ``value_read`` is read_values() of a categorical
    ``value``'s categories.
    """
    args = dict(quarter=rows["_quarter"].to_numpy(), polarity=rows["polarity"],
                profile=rows["profile"], tolerance=rows["tolerance"],
                previous=rows["previous_value"], low_target=rows["low_target"])
    if reasons:
        checks = check_many(rows["bar_text"], rows["value"], reasons=True, **args)
        codes, bar = _status_codes(checks["status"]), checks["bar"].to_numpy()
    else:
        codes, bar = grade(rows["bar_text"], rows["value"], value_read=value_read, **args)
    gap = ((rows["frequency"] == Frequency.QUARTERLY.value) & (rows["value"] == "")).to_numpy(
        dtype=bool) & (codes != STATUS_CODES.index(Status.UNPARSED))
    codes = np.where(gap, STATUS_CODES.index(Status.MISSING), codes)
    categorical = isinstance(rows["value"].dtype, pd.CategoricalDtype)
    rows["status"] = (pd.Categorical.from_codes(codes, categories=_STATUS_NAMES) if categorical
                      else np.array(STATUS_CODES, dtype=object)[codes])
    rows["bar"] = bar
    if reasons:
        rows["reason"] = np.where(gap, _GAP, checks["reason"].to_numpy(dtype=object))
    if categorical:
        rags = list(Rag)
        rag = np.array([rags.index(STATUS_RAG[s]) if s in STATUS_RAG else -1
                        for s in STATUS_CODES])[codes]
        rows["rag"] = pd.Categorical.from_codes(rag, categories=[r.value for r in rags])
    else:
        rows["rag"] = rows["status"].map(STATUS_RAG)
    return rows


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


def _issues(milestones: pd.DataFrame, measures: pd.DataFrame, scheme: Scheme | None = None,
            quarter: int = 4) -> pd.DataFrame:
    found: list[dict] = []
    # A measure the officer rated takes the officer's word (measure_source officer, or
    # check_unless_officer with a rating): its target is not checked, so nothing about the
    # check is a finding, and a rating is an update even with no figure.
    rated = measures["officer_rated"] if "officer_rated" in measures else \
        pd.Series(False, index=measures.index)

    def add(issue: Issue, table: str, row, name: str, detail: str) -> None:
        found.append({"issue": issue, "table": table, "id": row[f"{table}_id"],
                      "priority_id": row["priority_id"], "name": name, "detail": detail})

    for _, row in milestones[milestones["rag"].isna()].iterrows():
        add(Issue.MISSING_UPDATE, "milestone", row, row["title"],
            "No RAG status was given for this milestone this quarter.")
    for (_, row), officer_rated in zip(measures.iterrows(), rated):
        status = row["status"]
        if officer_rated:
            continue
        if status is Status.MISSING:
            add(Issue.MISSING_UPDATE, "measure", row, row["name"], row["reason"])
        elif status is Status.UNPARSED:
            unreadable_target = parse_target(row["bar_text"]).kind is Kind.UNPARSED
            add(Issue.UNPARSED_TARGET if unreadable_target else Issue.UNREADABLE_VALUE,
                "measure", row, row["name"], row["reason"])
        elif status is Status.NOT_DUE:
            add(Issue.NOT_DUE, "measure", row, row["name"], row["reason"])
        elif status in (Status.MET, Status.NEAR, Status.MISSED):
            seconds = minutes_and_seconds(row["value"], parse_target(row["bar_text"]).duration_unit)
            if seconds is not None:
                value = str(row["value"]).strip()
                add(Issue.TIME_READ_AS_DECIMAL, "measure", row, row["name"],
                    f"{value!r} against the target {str(row['bar_text']).strip()!r} was read as "
                    f"{value} minutes ({show(float(value) * 60, Unit.DURATION)}); written as "
                    f"minutes and seconds it would be {show(seconds, Unit.DURATION)}. Writing "
                    f"'{value.replace('.', ':')}' or '{show(seconds, Unit.DURATION)}' "
                    "would say which.")
        officer = row["officer_rag"]
        # A check with no RAG (not due, no target) leaves NaN: nothing to disagree with.
        if isinstance(officer, Rag) and isinstance(row["rag"], Rag) and officer != row["rag"]:
            add(Issue.RAG_DISAGREES, "measure", row, row["name"],
                f"The officer gave {officer.label}; the check gives {row['rag'].label} "
                f"({row['reason']})")
        assumed = _assumed_polarity(row, quarter)
        if assumed:
            add(Issue.POLARITY_ASSUMED, "measure", row, row["name"], assumed)
    return pd.DataFrame(found, columns=["issue", "table", "id", "priority_id", "name", "detail"])
