"""The year ahead: the officer's year-end forecast, checked, and the corrective action an
exception needs.

Pure. A measure's forecast (``forecast`` in measure_updates) is a value, checked against the
measure's annual target as a quarter 4 figure would be. A cumulative measure without one gets
a pro-rata projection (this quarter's figure x 4 / quarter), always said to be one. A
milestone's forecast is a status word of the scheme.
"""

from __future__ import annotations

import re

import pandas as pd

from perfkit.model import Issue, Profile, Status
from perfkit.scheme import Part, Scheme
from perfkit.targets import Unit, check_many, parse_target, parse_value

PROJECTED = "Pro-rata projection"


def measure_forecasts(rows: pd.DataFrame, quarter: int, plan_profile: pd.Series,
                      scheme: Scheme) -> pd.DataFrame:
    """Each measure's year-end forecast (``forecast_text``), whether it is a projection
    (``projected``), and its check against the annual target (``forecast_state``, a scheme
    key or None, and ``forecast_reason``), aligned with ``rows``.

    ``plan_profile`` is each row's profile as the plan gives it (a quarter's own target
    does not stop a cumulative measure adding up through the year).
    """
    given = rows["forecast"].fillna("").astype(str).str.strip() if "forecast" in rows else \
        pd.Series("", index=rows.index)
    texts, projected = [], []
    for forecast, value, target, profile in zip(given, rows["value"], rows["target"],
                                                plan_profile):
        if forecast:
            texts.append(forecast)
            projected.append(False)
            continue
        guess = (_pro_rata(value, target, quarter)
                 if profile in (Profile.CUMULATIVE.value, Profile.SUM.value) and quarter < 4
                 else "")
        texts.append(guess)
        projected.append(bool(guess))
    texts_series = pd.Series(texts, index=rows.index, dtype=object)
    checks = check_many(rows["target"], texts_series, quarter=4,
                        polarity=rows["polarity"], profile="snapshot",
                        tolerance=rows["tolerance"], low_target=rows["low_target"],
                        reasons=True)
    has = texts_series != ""
    states = [scheme.measure_state(s, None) if h and Status(s).tracked else None
              for s, h in zip(checks["status"], has)]
    return pd.DataFrame({"forecast_text": texts_series, "projected": projected,
                         "forecast_state": states,
                         "forecast_reason": checks["reason"].where(has, "")},
                        index=rows.index)


def _pro_rata(value: str, target: str, quarter: int) -> str:
    """This quarter's year-to-date figure carried to the year end at the same rate.

    A rate (a percentage) is not projected: 58% collected by quarter 2 does not make 116%.

    >>> _pro_rata("477", "500", 2), _pro_rata("£1.2m", "£3m", 3), _pro_rata("58%", "96%", 2)
    ('954', '£1,600,000', '')
    """
    unit = parse_target(target).duration_unit
    number = parse_value(value, unit).number
    if number is None or unit or parse_value(value).unit is Unit.PERCENT or quarter < 1:
        return ""
    projected = number * 4 / quarter
    text = f"{projected:,.0f}" if abs(projected - round(projected)) < 0.05 else f"{projected:,.1f}"
    return ("£" if re.match(r"\s*£", value) else "") + text


def milestone_forecasts(rows: pd.DataFrame, scheme: Scheme) -> pd.Series:
    """Each milestone's forecast as the scheme's status key (None when none was given)."""
    if "forecast" not in rows:
        return pd.Series(None, index=rows.index, dtype=object)
    return pd.Series([scheme.word_key(Part.MILESTONES, w) if w else None
                      for w in rows["forecast"]], index=rows.index, dtype=object)


def missing_actions(milestones: pd.DataFrame, measures: pd.DataFrame,
                    scheme: Scheme) -> list[dict]:
    """Data-quality findings: each exception whose ``action`` is blank.

    Only when the data has an ``action`` column at all (a table without one says nothing
    about actions, and is not flagged row by row).
    """
    found = []
    for part, rows, ident, name, key in (
            (Part.MILESTONES, milestones, "milestone_id", "title", "rag"),
            (Part.MEASURES, measures, "measure_id", "name", "state")):
        if "action" not in rows:
            continue
        late = rows[rows[key].isin(scheme.exceptions(part)) &
                    rows["action"].fillna("").astype(str).str.strip().eq("")]
        for row in late.itertuples():
            found.append({"issue": Issue.NO_ACTION, "table": part.value[:-1],
                          "id": getattr(row, ident), "priority_id": row.priority_id,
                          "name": getattr(row, name),
                          "detail": f"Rated {scheme.label(part, getattr(row, key))}, with no "
                                    "corrective action given in the action column."})
    return found
