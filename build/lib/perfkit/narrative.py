"""The report's sentences, written from a rollup so that words and figures cannot disagree.

House style: whole numbers below ``Style.words_below`` as words ("seven"), larger ones as
numerals ("19"); a sentence begins with a capital; percentages as "79%". The year and the
quarter are taken only from the rollup, which takes them only from the run's parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from perfkit.model import Travel, previous_year
from perfkit.rollup import Change, Group, Rollup

_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


@dataclass(frozen=True)
class Style:
    """House style: numbers below ``words_below`` are spelt out (the reference uses 10)."""

    words_below: int = 10


HOUSE = Style()


def say(number: int, style: Style = HOUSE) -> str:
    """A count in house style.

    >>> say(7), say(19), say(1200)
    ('seven', '19', '1,200')
    """
    if 0 <= number < min(style.words_below, len(_WORDS)):
        return _WORDS[number]
    return f"{number:,}"


def sentence(text: str) -> str:
    """Capitalise the first letter of a sentence, leaving the rest alone.

    >>> sentence("seven of the 19 measures")
    'Seven of the 19 measures'
    """
    return text[:1].upper() + text[1:] if text else text


def plural(count: int, one: str, many: str | None = None) -> str:
    return one if count == 1 else (many or one + "s")


def _be(count: int) -> str:
    return "is" if count == 1 else "are"


def _milestone_sentences(group: Group, style: Style) -> list[str]:
    m = group.milestones
    if m.total == 0:
        return ["There are no milestones this year."]
    if m.rated == 0:
        return [f"None of the {say(m.total, style)} milestones has a status this quarter."]
    well = m.progressing_well
    if well == m.rated:
        lead = (f"all {say(m.rated, style)} milestones rated this quarter" if m.rated > 1
                else "the one milestone rated this quarter")
        text = f"{lead} {_be(m.rated)} progressing well, green or complete ({m.pct_progressing_well}%)"
    else:
        text = (f"of the {say(m.rated, style)} {plural(m.rated, 'milestone')} rated this quarter, "
                f"{say(well, style)} ({m.pct_progressing_well}%) {_be(well)} progressing well, "
                "green or complete")
    rest = [f"{say(m.amber, style)} ({m.pct['amber']}%) {_be(m.amber)} amber"] if m.amber else []
    rest += [f"{say(m.red, style)} ({m.pct['red']}%) {_be(m.red)} red"] if m.red else []
    if rest:
        text += "; " + " and ".join(rest)
    sentences = [sentence(text) + "."]
    if m.missing:
        sentences.append(sentence(
            f"{say(m.missing, style)} {plural(m.missing, 'milestone')} "
            f"{'has' if m.missing == 1 else 'have'} no update this quarter."))
    return sentences


def _measure_sentences(group: Group, style: Style) -> list[str]:
    me = group.measures
    if me.total == 0:
        return ["There are no measures this year."]
    sentences = [sentence(
        f"of the {say(me.total, style)} {plural(me.total, 'measure')}, "
        f"{say(me.quarterly, style)} {_be(me.quarterly)} collected quarterly.")]
    if me.tracked == 0:
        sentences.append("None could be checked against a target this quarter.")
        return sentences
    if me.met == me.tracked:
        text = (f"all {say(me.tracked, style)} checked against their target this quarter met it"
                if me.tracked > 1 else "the one measure checked against its target this quarter met it")
        text += f" ({me.pct_met}%)"
    else:
        text = (f"of the {say(me.tracked, style)} checked against their target this quarter, "
                f"{say(me.met, style)} ({me.pct_met}%) met it")
    others = [f"{say(me.near, style)} {'was' if me.near == 1 else 'were'} within tolerance"] if me.near else []
    others += [f"{say(me.missed, style)} missed it"] if me.missed else []
    if others:
        text += ", " + " and ".join(others[:-1]) + (" and " if len(others) > 1 else "") + others[-1]
    sentences.append(sentence(text) + ".")
    if me.missing:
        sentences.append(sentence(
            f"{say(me.missing, style)} quarterly {plural(me.missing, 'measure')} "
            f"{'has' if me.missing == 1 else 'have'} no figure this quarter."))
    return sentences


def overall_paragraph(rollup: Rollup, style: Style = HOUSE) -> str:
    """The headline paragraph: milestones, progress, measures and the share meeting target.

    >>> from perfkit.load import load_dataset
    >>> from perfkit.assess import assess_quarter
    >>> from perfkit.rollup import roll_up
    >>> r = roll_up(assess_quarter(load_dataset("data/chesterfield"), "2022/23", 2))
    >>> print(overall_paragraph(r))  # doctest: +NORMALIZE_WHITESPACE
    At quarter 2 of 2022/23 the delivery plan has 36 milestones and 46 measures across three
    priorities. Of the 36 milestones rated this quarter, 31 (86%) are progressing well, green
    or complete; four (11%) are amber and one (3%) is red. Of the 46 measures, 20 are collected
    quarterly. Of the 20 checked against their target this quarter, 16 (80%) met it, one was
    within tolerance and three missed it.
    """
    g = rollup.overall
    n = len(rollup.priorities)
    first = (f"At quarter {rollup.quarter} of {rollup.year} the delivery plan has "
             f"{say(g.milestones.total, style)} {plural(g.milestones.total, 'milestone')} and "
             f"{say(g.measures.total, style)} {plural(g.measures.total, 'measure')} across "
             f"{say(n, style)} {plural(n, 'priority', 'priorities')}.")
    return " ".join([first, *_milestone_sentences(g, style), *_measure_sentences(g, style)])


def empty_paragraph(rollup: Rollup, style: Style = HOUSE) -> str:
    """The headline paragraph of a quarter for which no update was received.

    >>> from perfkit.load import load_dataset
    >>> from perfkit.assess import assess_quarter
    >>> from perfkit.rollup import roll_up
    >>> r = roll_up(assess_quarter(load_dataset("data/chesterfield"), "2022/23", 3))
    >>> print(empty_paragraph(r))  # doctest: +NORMALIZE_WHITESPACE
    No updates were received for quarter 3 of 2022/23. The delivery plan has 36 milestones and
    46 measures across three priorities; none of them has a status or figure this quarter.
    """
    g = rollup.overall
    text = f"No updates were received for quarter {rollup.quarter} of {rollup.year}."
    if g.milestones.total + g.measures.total == 0:
        return text + f" The data holds no delivery plan for {rollup.year}."
    n = len(rollup.priorities)
    return (f"{text} The delivery plan has {say(g.milestones.total, style)} "
            f"{plural(g.milestones.total, 'milestone')} and {say(g.measures.total, style)} "
            f"{plural(g.measures.total, 'measure')} across {say(n, style)} "
            f"{plural(n, 'priority', 'priorities')}; none of them has a status or figure "
            "this quarter.")


def say_quarters(quarters: list[int]) -> str:
    """Quarters in words, for messages.

    >>> say_quarters([1, 2, 4])
    'quarters 1, 2 and 4'
    """
    words = [str(q) for q in quarters]
    if len(words) == 1:
        return f"quarter {words[0]}"
    return f"quarters {', '.join(words[:-1])} and {words[-1]}"


def priority_paragraph(group: Group, rollup: Rollup, style: Style = HOUSE) -> str:
    """One priority's paragraph, naming the quarter from the rollup.

    >>> from perfkit.load import load_dataset
    >>> from perfkit.assess import assess_quarter
    >>> from perfkit.rollup import roll_up
    >>> r = roll_up(assess_quarter(load_dataset("data/chesterfield"), "2022/23", 2))
    >>> print(priority_paragraph(r.priorities[2], r))  # doctest: +NORMALIZE_WHITESPACE
    Providing value for money services has eight milestones and 16 measures at quarter 2.
    Of the eight milestones rated this quarter, four (50%) are progressing well, green or
    complete; four (50%) are amber. Of the 16 measures, eight are collected quarterly. Of the
    eight checked against their target this quarter, four (50%) met it, one was within
    tolerance and three missed it.
    """
    m, me = group.milestones, group.measures
    first = (f"{group.name} has {say(m.total, style)} {plural(m.total, 'milestone')} and "
             f"{say(me.total, style)} {plural(me.total, 'measure')} at quarter {rollup.quarter}.")
    return " ".join([first, *_milestone_sentences(group, style), *_measure_sentences(group, style)])


def change_paragraph(rollup: Rollup, changes: list[Change], milestones: pd.DataFrame | None = None,
                     style: Style = HOUSE, last_year: list[Change] | None = None) -> str:
    """What moved since the previous quarter (and the same quarter last year, when held).

    ``milestones`` is the quarter's milestone table, whose ``travel`` column gives each
    milestone's RAG change; ``last_year`` compares with the same quarter a year before.
    """
    year_before = ""
    if last_year:
        then = last_year[0]
        year_before = " " + sentence(
            f"compared with quarter {rollup.quarter} of {previous_year(rollup.year)}: ") + \
            _moved("the share of milestones progressing well",
                   then.before.milestones.pct_progressing_well,
                   then.after.milestones.pct_progressing_well)
        if then.pct_met is not None:
            year_before += " " + _moved(
                "The share of checked measures meeting their target",
                then.before.measures.pct_met, then.after.measures.pct_met)
    if not changes:
        return (f"The data holds no earlier quarter of {rollup.year} to compare quarter "
                f"{rollup.quarter} with, so no direction of travel is shown." + year_before)
    parts = []
    overall = changes[0]
    before = overall.before.milestones.pct_progressing_well
    after = overall.after.milestones.pct_progressing_well
    parts.append(_moved("The share of milestones progressing well", before, after))
    if overall.pct_met is not None:
        parts.append(_moved("The share of checked measures meeting their target",
                            overall.before.measures.pct_met, overall.after.measures.pct_met))
    if milestones is not None and "travel" in milestones:
        up = int((milestones["travel"] == Travel.IMPROVED).sum())
        down = int((milestones["travel"] == Travel.DECLINED).sum())
        if up or down:
            parts.append(sentence(
                f"{say(up, style)} {plural(up, 'milestone')} moved to a better RAG status "
                f"and {say(down, style)} to a worse one."))
    return "Since the previous quarter: " + " ".join(parts) + year_before


def _moved(what: str, before: int | None, after: int | None) -> str:
    if before == after:
        return f"{what} is unchanged at {after}%."
    way = "rose" if (after or 0) > (before or 0) else "fell"
    points = abs((after or 0) - (before or 0))
    return f"{what} {way} from {before}% to {after}% ({points} {plural(points, 'point')})."
