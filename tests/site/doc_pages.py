"""The Markdown source pages under docs/, and where MkDocs puts each one in the built site."""

import re
from pathlib import Path

from snippet_captions import ROOT

DOCS = ROOT / "docs"


def source_pages() -> list[Path]:
    """Every page source; docs/includes/ holds fragments appended to pages, not pages."""
    return sorted(path for path in DOCS.rglob("*.md") if "includes" not in path.relative_to(DOCS).parts)


def page_id(page: Path) -> str:
    return page.relative_to(DOCS).as_posix()


def site_path(page: Path) -> str:
    """The page's directory URL relative to the site root: "" for the home page, "kafka/replication/" otherwise."""
    relative = page.relative_to(DOCS).with_suffix("")
    directory = relative.parent if relative.name == "index" else relative
    return "" if directory == Path(".") else directory.as_posix() + "/"


def site_prefix(site: Path) -> str:
    """The URL path the site is built for ("/field-guide/"), read from 404.html, which links its assets with it."""
    return re.search(r'href="(/[^"]*?)assets/stylesheets/main\.', (site / "404.html").read_text()).group(1)
