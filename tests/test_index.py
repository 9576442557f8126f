"""index.html at the output root: every published quarter, written whole, never losing one."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

from multiyear import write_multiyear
from test_failures import broken_notebook
from perfkit.errors import RenderError
from perfkit.index import Entry, index_page, read_quarters
from perfkit.publish import publish_index
from perfkit.report import render, render_many

QUARTERS = [("2021/22", 4), ("2022/23", 1), ("2022/23", 2)]


def params(folder: Path, data: Path, year: str, quarter: int) -> Path:
    path = folder / f"{year.replace('/', '-')}-Q{quarter}.yaml"
    path.write_text(f'data: {data}\nyear: "{year}"\nquarter: {quarter}\n'
                    "organisation: Test Borough Council\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Three quarters across a year end rendered in one batch."""
    base = tmp_path_factory.mktemp("index")
    data = write_multiyear(base / "data")
    files = [params(base, data, y, q) for y, q in QUARTERS]
    out = base / "out"
    outcomes = render_many(files, out, jobs=2)
    assert [o.error for o in outcomes] == [None, None, None]
    return base, data, out


def quarters_listed(page: str) -> list[str]:
    return re.findall(r'<a href="(\d{4}-\d{2}-Q\d)/report\.html">', page)


def test_a_batch_lists_every_quarter_newest_first(batch):
    _, _, out = batch
    page = (out / "index.html").read_text(encoding="utf-8")
    assert quarters_listed(page) == ["2022-23-Q2", "2022-23-Q1", "2021-22-Q4"]
    # Headline figures as each quarter's summary.json gives them (2022/23 Q2: 2 of 5 green
    # or complete; 2 of 4 measures met), and its persistent exceptions.
    assert "40% (2 of 5)" in page and "50% (2 of 4)" in page
    assert 'href="2022-23-Q2/figures.csv"' in page
    assert 'id="chart-index-history"' in page and "<script" not in page
    assert not list(out.glob(".index.html.*"))  # no temporary file left behind


def test_a_failed_quarter_keeps_every_entry(batch, tmp_path):
    base, data, out = batch
    before = (out / "index.html").read_text(encoding="utf-8")
    broken = broken_notebook(tmp_path / "broken.ipynb")
    with pytest.raises(RenderError):
        render(params(base, data, "2022/23", 2), out, notebook=broken)
    assert (out / "index.html").read_text(encoding="utf-8") == before
    # The next good run of another quarter still lists the one that failed.
    render(params(base, data, "2022/23", 1), out)
    assert quarters_listed((out / "index.html").read_text(encoding="utf-8")) == \
        ["2022-23-Q2", "2022-23-Q1", "2021-22-Q4"]


def test_an_unreadable_summary_keeps_its_entry(tmp_path):
    for slug in ("2022-23-Q1", "2022-23-Q2"):
        (tmp_path / slug).mkdir()
        (tmp_path / slug / "report.html").write_text("<p>report</p>", encoding="utf-8")
    (tmp_path / "2022-23-Q2" / "summary.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "notes").mkdir()  # not a quarter
    entries = read_quarters(tmp_path)
    assert [e.slug for e in entries] == ["2022-23-Q1", "2022-23-Q2"]
    page = index_page(entries)
    assert quarters_listed(page) == ["2022-23-Q2", "2022-23-Q1"]


def test_figures_from_summary_files_are_escaped():
    evil = {"year": "2022/23", "quarter": 2, "persistent": [],
            "headlines": [{"label": "<script>x</script>", "text": "<b>9%</b>", "count": 1,
                           "base": 2, "pct": 50.0}]}
    page = index_page([Entry("2022-23-Q2", "2022/23", 2, ("report.html",), evil,
                             evil["headlines"])])
    assert "<script>x" not in page and "&lt;b&gt;9%&lt;/b&gt;" in page


def test_runs_take_turns_and_the_last_lists_all(tmp_path):
    """Eight writers at once: each page is whole, and the last one holds every quarter."""
    slugs = [f"20{10 + i}-{11 + i}-Q1" for i in range(8)]

    def build(root: Path) -> str:
        return index_page(read_quarters(root))

    def publish(slug: str) -> None:
        (tmp_path / slug).mkdir()
        (tmp_path / slug / "report.html").write_text("x", encoding="utf-8")
        publish_index(tmp_path, build)

    threads = [threading.Thread(target=publish, args=(s,)) for s in slugs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert sorted(quarters_listed(page)) == sorted(slugs) and page.rstrip().endswith("</html>")


def test_a_link_at_index_html_is_replaced_not_followed(tmp_path):
    elsewhere = tmp_path / "elsewhere.html"
    elsewhere.write_text("keep me", encoding="utf-8")
    root = tmp_path / "out"
    root.mkdir()
    (root / "index.html").symlink_to(elsewhere)
    publish_index(root, lambda r: "<!DOCTYPE html><p>new</p>")
    assert elsewhere.read_text(encoding="utf-8") == "keep me"
    assert not (root / "index.html").is_symlink()
