"""Every size limit on input, in one place, so any input ends in bounded time and memory.

Each limit is far above what a council's quarterly data needs (the sample is 76 KB, its
longest cell 700 characters), and far below what would slow a run or fill memory. Breaking
one is bad input: an error naming the file and the limit, with exit code 2. The README's
"Limits" section lists them.
"""

from __future__ import annotations

#: One CSV file or one workbook, as stored on disk.
MAX_FILE_BYTES = 32 * 1024 * 1024
#: A workbook's parts once unzipped, added up (a small zip can hold gigabytes).
MAX_UNZIPPED_BYTES = 128 * 1024 * 1024
#: Rows of one table, after the header.
MAX_ROWS = 100_000
#: Columns of one table.
MAX_COLUMNS = 100
#: Cells of one table (rows times columns as stored).
MAX_CELLS = 2_000_000
#: Characters in one cell: Excel's own limit, so any cell Excel can save is read.
MAX_CELL_CHARS = 32_767
#: A params YAML file.
MAX_PARAMS_BYTES = 64 * 1024
#: One text value in a params file (a title, a path).
MAX_PARAM_CHARS = 4_096
#: A scheme YAML file (the built-in ones are 2 to 4 KB).
MAX_SCHEME_BYTES = 64 * 1024
#: The covering report's Markdown file.
MAX_COVERING_BYTES = 256 * 1024
#: Priorities in one year of a plan: each is a bar in every chart and a section of the page.
MAX_PRIORITIES = 100
#: Milestones and measures in one year of a plan, together: each is a row of the page and
#: of the PDF (measured at this limit: see README, "Limits").
MAX_PLAN_ITEMS = 500
#: Characters of text one quarter's report prints from the data (titles, names, progress
#: notes, comments, targets and values, and the quarter's risks): what the PDF's page count
#: and memory follow.
MAX_QUARTER_TEXT = 300_000
#: Statuses of one part (milestones or measures) in a scheme; headlines in a scheme. With
#: the priorities limit, every chart stays within Altair's 5,000 data rows.
MAX_STATUSES = 20
MAX_HEADLINES = 20
#: Panels of the chart of quarterly measures' values, one per measure. A plan with more
#: gets the same figures as a table (900 panels took 120 s and 1.7 GB to print).
MAX_TREND_PANELS = 60
#: A report notebook named by `notebook:` in a params file (the sample's is about 6 KB).
MAX_NOTEBOOK_BYTES = 16 * 1024 * 1024
#: Characters of a bad value shown in a message; the rest is counted, not printed.
MAX_SHOWN_CHARS = 80
#: Problems listed for one file before the rest are counted, not listed.
MAX_PROBLEMS_PER_FILE = 50


def clip(text: str, limit: int = MAX_SHOWN_CHARS) -> str:
    """Text cut to ``limit`` characters for a message, saying how long it was.

    >>> clip("x" * 100, 5)
    'xxxxx… (100 characters)'
    >>> clip("short")
    'short'
    """
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters)"


def shown(value: object, limit: int = MAX_SHOWN_CHARS) -> str:
    """A value as a message shows it: its repr, cut to ``limit`` characters.

    >>> shown("£" * 3)
    "'£££'"
    >>> shown("a" * 200, 4)
    "'aaaa…' (200 characters)"
    """
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]!r}"[:-1] + f"…' ({len(value):,} characters)"
    text = repr(value)
    return clip(text, limit + 2)
