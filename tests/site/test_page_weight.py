"""What a first visit to each page downloads, computed from the built files: bytes, gzipped, never timed.

A page's weight is its HTML plus every same-site stylesheet, script, icon and image its HTML references, each
gzipped (level 6, as a web server sends it). Two things are left out on purpose and checked on their own:
- the search index, which Material's bundle fetches only once a reader reaches for search (see
  overrides/partials/search-on-demand.js and test_browser.py); it has its own budget, SEARCH_INDEX_BUDGET;
- Mermaid (about 1 MB gzipped), which docs/assets/javascripts/mermaid-loader.js fetches only when a diagram nears
  the viewport, so it must be referenced by no page and the diagram class must appear only where a page has one.
A lab's plots are files that its page loads lazily (overrides/hooks/offline_notebooks.py), so they are counted apart:
`plots` below, never inline in the HTML.
"""

import gzip
import re
from functools import cache
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from doc_pages import site_path, site_prefix, source_pages

KB = 1024
PAGE_BUDGET = 100 * KB
SEARCH_INDEX_BUDGET = 300 * KB  # about 285 KB; see search_scope.py for what is in it and how it is kept small
SEARCH_INDEX = "search/search_index.json"
MERMAID = "assets/javascripts/vendor/mermaid.min.js"
PLOT = re.compile(r"labs/[^/]+/plot-\d+\.png")


def gzipped(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6, mtime=0))


def referenced(path: Path, tags: list[tuple[str, dict[str, str]]], prefix: str) -> set[str]:
    """Site-relative paths of the stylesheets, scripts, icons and images a page's HTML loads."""
    page_url = "/" + path.as_posix()
    found = set()
    for tag, attributes in tags:
        if tag == "link" and {"stylesheet", "icon"} & set(attributes.get("rel", "").split()):
            url = attributes.get("href", "")
        elif tag in ("script", "img"):
            url = attributes.get("src", "")
        else:
            continue
        if not url or url.startswith("data:") or urlsplit(url).scheme:  # inline, or another host (tested elsewhere)
            continue
        target = urlsplit(urljoin(page_url, url)).path
        target = target.removeprefix(prefix) if target.startswith(prefix) else target.lstrip("/")
        found.add(target)
    return found


@pytest.fixture(scope="module")
def measured(site: Path, pages) -> dict[Path, dict[str, int]]:
    """For every page: gzipped bytes of its HTML, of the files it references, and of its lab plots apart."""
    prefix = site_prefix(site)

    @cache
    def asset(relative: str) -> int:
        return gzipped((site / relative).read_bytes())

    result = {}
    for path, parsed in pages.items():
        html = (site / path).read_bytes()
        files = referenced(path, parsed.tags, prefix) - {SEARCH_INDEX, MERMAID}
        plots = {relative for relative in files if PLOT.fullmatch(relative)}
        result[path] = {"html": gzipped(html), "assets": sum(asset(relative) for relative in files - plots),
                        "plots": sum(asset(relative) for relative in plots)}
    return result


def test_every_page_references_only_files_that_exist_and_no_search_index_or_mermaid(site, pages):
    prefix = site_prefix(site)
    for path, parsed in pages.items():
        files = referenced(path, parsed.tags, prefix)
        assert all((site / relative).is_file() for relative in files), (path, files)
        assert SEARCH_INDEX not in files and MERMAID not in files, path


def test_every_page_without_its_lazy_plots_stays_under_100_kb_gzipped(measured, record_property):
    heavy = {str(path): size for path, size in measured.items() if size["html"] + size["assets"] > PAGE_BUDGET}
    heaviest = max(measured, key=lambda path: measured[path]["html"] + measured[path]["assets"])
    record_property("heaviest page", f"{heaviest}: {measured[heaviest]}")
    assert not heavy, heavy


def test_only_the_labs_have_plots_and_every_lab_has_some(measured):
    with_plots = {path.as_posix() for path, size in measured.items() if size["plots"]}
    labs = {path.as_posix() for path in measured if path.parts[0] == "labs" and path.name == "index.html"}
    assert len(labs - {"labs/index.html"}) >= 7 and with_plots == labs - {"labs/index.html"}


def test_the_diagram_class_and_so_mermaid_appear_only_on_pages_with_a_diagram(site, pages):
    with_fence = {site_path(page) + "index.html" for page in source_pages() if "```mermaid" in page.read_text()}
    with_class = {path.as_posix() for path in pages if 'class="mermaid"' in (site / path).read_text()}
    assert with_fence and with_class == with_fence
    # No page names Mermaid's file. The loader does, and loads it once a diagram nears the viewport (test_browser.py
    # watches that happen); Material's bundle does too, for its CDN fallback, which it uses only when window.mermaid
    # is missing (the loader sets it).
    assert "vendor/mermaid.min.js" in (site / "assets/javascripts/mermaid-loader.js").read_text()
    naming = {path.relative_to(site).as_posix() for path in site.rglob("*") if path.suffix in (".html", ".js")
              and path.as_posix().endswith(MERMAID) is False and "mermaid.min.js" in path.read_text(errors="replace")}
    assert {name for name in naming if not re.fullmatch(r"assets/javascripts/bundle\.\w+\.min\.js", name)} == {
        "assets/javascripts/mermaid-loader.js"}


def test_the_search_index_stays_within_its_budget(site, record_property):
    size = gzipped((site / SEARCH_INDEX).read_bytes())
    record_property("search index, gzipped", size)
    assert size <= SEARCH_INDEX_BUDGET, f"{size / KB:.0f} KB gzipped"
