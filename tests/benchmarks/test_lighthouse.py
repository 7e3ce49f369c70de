"""The Lighthouse table that docs/about/index.md embeds backs what the page says.

`make bench` measures; the tests never do. Running Lighthouse here would need its npm install and a minute of
Chromium per page on every run, for scores that the machine's noise moves by several points. The browser tests check
accessibility live with axe-core instead.
"""

from pathlib import Path

ROOT = Path(__file__).parents[2]
TABLE = ROOT / "docs" / "includes" / "benchmarks" / "lighthouse.md"
PAGES = ("Home page", "Long concept page", "Snippet-heavy page", "Lab")


def rows() -> dict[str, dict[str, str]]:
    lines = [line for line in TABLE.read_text().splitlines() if line.startswith("| ") and "---" not in line]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    return {cells[0]: dict(zip(header[1:], cells[1:]))
            for cells in ([cell.strip() for cell in line.strip("|").split("|")] for line in lines[1:])}


def test_the_table_measures_the_four_kinds_of_page_in_the_four_categories():
    table = rows()
    assert [page.split(" (")[0] for page in table] == list(PAGES)
    assert all(set(scores) == {"Performance", "Performance, lowest to highest run", "Accessibility", "Best practices",
                               "SEO"} for scores in table.values())
    for scores in table.values():
        low, high = map(int, scores.pop("Performance, lowest to highest run").split(" to "))
        assert 0 <= low <= int(scores["Performance"]) <= high <= 100
        assert all(0 <= int(score) <= 100 for score in scores.values())


def test_accessibility_best_practices_and_seo_are_100_as_the_page_says():
    page = (ROOT / "docs" / "about" / "index.md").read_text()
    assert "Accessibility, best practices and SEO score 100 on every page measured." in page
    assert all(scores[name] == "100" for scores in rows().values() for name in ("Accessibility", "Best practices", "SEO"))
