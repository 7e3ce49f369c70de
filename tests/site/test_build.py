import re
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from doc_pages import DOCS

# <link rel=...> values that name a page rather than load a resource
NAVIGATIONAL_RELS = {"canonical", "alternate", "next", "prev", "author", "license", "me"}
RESOURCE_ATTRIBUTES = {"script": "src", "img": "src", "iframe": "src", "source": "src", "video": "src", "audio": "src", "object": "data"}


def test_strict_build_is_clean(build_output):
    _, log = build_output
    # MkDocs' own format, "WARNING -  message". A lab's kernel writes to the same stderr, and ipykernel has logged
    # "ERROR:tornado.general" with a ZMQError while shutting down, after the notebook had run without error.
    assert not re.search(r"^(WARNING|ERROR) *-  ", log, re.MULTILINE), log


def site_base(pages) -> str:
    canonical = next(a["href"] for tag, a in pages[Path("index.html")].tags if tag == "link" and a.get("rel") == "canonical")
    return canonical


def resources(page):
    for tag, attributes in page.tags:
        if tag == "link" and attributes.get("href") and not NAVIGATIONAL_RELS & set(attributes.get("rel", "").split()):
            yield attributes["href"]
        elif tag in RESOURCE_ATTRIBUTES and attributes.get(RESOURCE_ATTRIBUTES[tag]):
            yield attributes[RESOURCE_ATTRIBUTES[tag]]


def test_pages_load_nothing_from_another_host(pages):
    foreign = {
        (str(path), url)
        for path, page in pages.items()
        for url in resources(page)
        if urlsplit(url).scheme in ("http", "https") or url.startswith("//")
    }
    assert not foreign


def test_stylesheets_import_nothing_from_another_host(site):
    foreign = {
        (str(css.relative_to(site)), url)
        for css in site.rglob("*.css")
        for url in re.findall(r"""(?:url\(|@import\s+)["']?((?:https?:)?//[^"')\s]+)""", css.read_text())
        if not url.startswith("http://www.w3.org/")  # SVG namespace in data: URIs, not a request
    }
    assert not foreign


def test_mermaid_is_served_by_the_site_itself(site, pages):
    assert (site / "assets/javascripts/vendor/mermaid.min.js").stat().st_size > 1_000_000
    for path, page in pages.items():
        scripts = [a["src"] for tag, a in page.tags if tag == "script" and "src" in a]
        assert any(src.endswith("assets/javascripts/mermaid-loader.js") for src in scripts), path


def test_every_internal_link_and_anchor_resolves(site, pages):
    base = urlsplit(site_base(pages))
    broken = []
    for path, page in pages.items():
        page_url = base._replace(path=base.path + path.as_posix()).geturl()
        for tag, attributes in page.tags:
            href = attributes.get("href") if tag in ("a", "link") else None
            href = href or (attributes.get(RESOURCE_ATTRIBUTES[tag]) if tag in RESOURCE_ATTRIBUTES else None)
            if not href or href.startswith(("mailto:", "data:", "javascript:")):
                continue
            target = urlsplit(urljoin(page_url, href))
            if target.netloc != base.netloc or not target.path.startswith(base.path):
                continue
            relative = unquote(target.path[len(base.path):])
            file = site / relative
            if file.is_dir() or relative == "":
                file = file / "index.html"
            if not file.is_file():
                broken.append((str(path), href, "missing file"))
            elif target.fragment and file.suffix == ".html":
                if target.fragment not in pages[Path(file.relative_to(site).as_posix())].ids:
                    broken.append((str(path), href, "missing anchor"))
    assert not broken


@pytest.mark.parametrize(
    "section",
    ["kafka", "fundamentals", "data", "traffic-control", "patterns", "case-studies", "labs", "questions", "glossary"],
)
def test_every_section_has_an_index_page_in_the_navigation(site, pages, section):
    home = pages[Path("index.html")]
    nav_links = {a["href"] for tag, a in home.tags if tag == "a" and "href" in a}
    assert f"{section}/" in nav_links
    assert (site / section / "index.html").is_file()


def test_each_tooltip_definition_is_its_own_markdown_block():
    # Python-Markdown re-tests a block after every definition it takes from it: a block of hundreds is quadratic.
    lines = (DOCS / "includes" / "abbreviations.md").read_text().splitlines()
    definitions = [line for line in lines if line.startswith("*[")]
    assert len(definitions) >= 60
    assert all(not (a.strip() and b.strip()) for a, b in zip(lines, lines[1:]))
