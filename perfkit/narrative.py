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
from perfkit.scheme import HeadlineFigure, Others, Part, Scheme, load_scheme

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


def _verb(phrase: str, count: int, period: dict[str, str] | None = None) -> str:
    """A scheme's verb phrase agreed with a count: "{are} amber" is "is amber" for one.

    ``period`` gives ``{quarter}`` and ``{year}``, for wording that names the period.

    >>> _verb("{have} achieved their quarter {quarter} ({year}) targets", 3,
    ...       {"quarter": "2", "year": "2023/24"})
    'have achieved their quarter 2 (2023/24) targets'
    """
    one = count == 1
    return phrase.format(are="is" if one else "are", were="was" if one else "were",
                         was="was" if one else "were", have="has" if one else "have",
                         **(period or {}))


def _period(rollup: Rollup) -> dict[str, str]:
    return {"quarter": str(rollup.quarter), "year": str(rollup.year)}


def _styled(rollup: Rollup, style: Style) -> Style:
    """The house style, with the scheme's own threshold for numbers as words."""
    scheme = _scheme(rollup)
    if style is HOUSE and scheme.words_below != HOUSE.words_below:
        return Style(words_below=scheme.words_below)
    return style


def _nouns(scheme: Scheme, part: Part) -> tuple[str, str]:
    return scheme.nouns.milestone if part is Part.MILESTONES else scheme.nouns.measure


def _noun(scheme: Scheme, part: Part, count: int) -> str:
    one, many = _nouns(scheme, part)
    return one if count == 1 else many


def _headline_sentence(fig: HeadlineFigure, group: Group, scheme: Scheme, style: Style,
                       period: dict[str, str] | None = None) -> str:
    h = fig.headline
    one, many = h.base_words
    count, base = fig.count, fig.base
    if count == base:
        lead = f"all {say(base, style)} {many}" if base > 1 else f"the one {one}"
        text = f"{lead} {_verb(h.says, base, period)} ({fig.text})"
    else:
        text = (f"of the {say(base, style)} {one if base == 1 else many}, "
                f"{say(count, style)} ({fig.text}) {_verb(h.says, count, period)}")
    if h.others is not Others.NONE:
        counts = _counts(group, h.of)
        rest = []
        for key in scheme.base_keys(h):
            n = counts.get(key, 0)
            if key in h.counts or not n:
                continue
            share = f" ({scheme.percent.text(n, base)})" if h.others is Others.WITH_PCT else ""
            rest.append(f"{say(n, style)}{share} {_verb(scheme.says(h.of, key), n, period)}")
        if rest:
            text += ("; " if h.others is Others.WITH_PCT else ", ") + _listing(rest)
    return sentence(text) + "."


def _listing(items: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _counts(group: Group, part: Part) -> dict[str, int]:
    return (group.milestones if part is Part.MILESTONES else group.measures).statuses


def _part_sentences(group: Group, part: Part, scheme: Scheme, style: Style,
                    period: dict[str, str] | None = None) -> list[str]:
    """A group's sentences about its milestones or its measures, led by the headlines."""
    counts = group.milestones if part is Part.MILESTONES else group.measures
    if counts.total == 0:
        return [f"There are no {_nouns(scheme, part)[1]} this year."]
    sentences = []
    if part is Part.MEASURES:
        me = group.measures
        sentences.append(sentence(
            f"of the {say(me.total, style)} {_noun(scheme, part, me.total)}, "
            f"{say(me.quarterly, style)} {_be(me.quarterly)} collected quarterly."))
    figures = [f for f in group.headlines if f.of == part.value]
    shown = [f for f in figures if f.base and f.headline.sentence]
    if figures and not shown:
        return sentences + [figures[0].headline.empty.format(
            total=say(counts.total, style), nouns=_noun(scheme, part, counts.total))]
    sentences += [_headline_sentence(f, group, scheme, style, period) for f in shown]
    if not figures:  # a scheme without a headline here: each status's count
        states = [f"{say(n, style)} {_verb(scheme.says(part, k), n, period)}"
                  for k, n in _counts(group, part).items() if n]
        sentences.append(sentence(" and ".join(states)) + ".")
    if part is Part.MILESTONES and counts.missing:
        n = counts.missing
        sentences.append(sentence(f"{say(n, style)} {_noun(scheme, part, n)} "
                                  f"{'has' if n == 1 else 'have'} no update this quarter."))
    if part is Part.MEASURES and counts.missing:
        n = counts.missing
        sentences.append(sentence(f"{say(n, style)} quarterly {_noun(scheme, part, n)} "
                                  f"{'has' if n == 1 else 'have'} no figure this quarter."))
    return sentences


def _parts(rollup: Rollup) -> list[Part]:
    """The parts the plan has: a measures-only plan is not told it has no milestones."""
    g = rollup.overall
    parts = [p for p, n in ((Part.MILESTONES, g.milestones.total),
                            (Part.MEASURES, g.measures.total)) if n]
    return parts or [Part.MILESTONES, Part.MEASURES]


def _has(rollup: Rollup, group: Group, style: Style) -> str:
    scheme = _scheme(rollup)
    totals = {Part.MILESTONES: group.milestones.total, Part.MEASURES: group.measures.total}
    return " and ".join(f"{say(totals[p], style)} {_noun(scheme, p, totals[p])}"
                        for p in _parts(rollup))


def _scheme(rollup: Rollup) -> Scheme:
    return rollup.scheme or load_scheme()


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
    style = _styled(rollup, style)
    first = (f"At quarter {rollup.quarter} of {rollup.year} the delivery plan has "
             f"{_has(rollup, g, style)} across "
             f"{say(n, style)} {plural(n, 'priority', 'priorities')}.")
    return " ".join([first, *(s for p in _parts(rollup)
                              for s in _part_sentences(g, p, _scheme(rollup), style,
                                                       _period(rollup)))])


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
    style = _styled(rollup, style)
    text = f"No updates were received for quarter {rollup.quarter} of {rollup.year}."
    if g.milestones.total + g.measures.total == 0:
        return text + f" The data holds no delivery plan for {rollup.year}."
    n = len(rollup.priorities)
    return (f"{text} The delivery plan has {_has(rollup, g, style)} across {say(n, style)} "
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
    style = _styled(rollup, style)
    first = f"{group.name} has {_has(rollup, group, style)} at quarter {rollup.quarter}."
    return " ".join([first, *(s for p in _parts(rollup)
                              for s in _part_sentences(group, p, _scheme(rollup), style,
                                                       _period(rollup)))])


def change_paragraph(rollup: Rollup, changes: list[Change], milestones: pd.DataFrame | None = None,
                     style: Style = HOUSE, last_year: list[Change] | None = None) -> str:
    """What moved since the previous quarter (and the same quarter last year, when held).

    ``milestones`` is the quarter's milestone table, whose ``travel`` column gives each
    milestone's RAG change; ``last_year`` compares with the same quarter a year before.
    """
    scheme = _scheme(rollup)
    style = _styled(rollup, style)
    year_before = ""
    if last_year:
        then = last_year[0]
        moves = _moves(scheme, then)
        if moves:
            moves[0] = moves[0][:1].lower() + moves[0][1:]
            year_before = " " + sentence(
                f"compared with quarter {rollup.quarter} of {previous_year(rollup.year)}: ") + \
                " ".join(moves)
    if not changes:
        return (f"The data holds no earlier quarter of {rollup.year} to compare quarter "
                f"{rollup.quarter} with, so no direction of travel is shown." + year_before)
    parts = _moves(scheme, changes[0])
    if milestones is not None and "travel" in milestones:
        up = int((milestones["travel"] == Travel.IMPROVED).sum())
        down = int((milestones["travel"] == Travel.DECLINED).sum())
        if up or down:
            parts.append(sentence(
                f"{say(up, style)} {_noun(scheme, Part.MILESTONES, up)} moved to a better "
                f"{scheme.nouns.rating} and {say(down, style)} to a worse one."))
    if parts:  # the sentence runs on after the colon
        parts[0] = parts[0][:1].lower() + parts[0][1:]
    return "Since the previous quarter: " + " ".join(parts) + year_before


def _moves(scheme: Scheme, change: Change) -> list[str]:
    """How each headline with words for its share moved; shares of nothing are left out."""
    moves = []
    for headline in scheme.headlines:
        before, after = change.before.headline(headline.name), change.after.headline(headline.name)
        if not headline.share or before is None or after is None or not before.base \
                or not after.base:
            continue
        moves.append(_moved(sentence(headline.share), before, after, scheme))
    return moves


def _moved(what: str, before: HeadlineFigure, after: HeadlineFigure, scheme: Scheme) -> str:
    if before.text == after.text:
        return f"{what} is unchanged at {after.text}."
    then = scheme.percent.shown(before.count, before.base)
    now = scheme.percent.shown(after.count, after.base)
    way = "rose" if now > then else "fell"
    points = abs(now - then)
    return (f"{what} {way} from {before.text} to {after.text} "
            f"({points} {plural(int(points) if points == int(points) else 2, 'point')}).")
