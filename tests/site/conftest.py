import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from snippet_captions import ROOT


@pytest.fixture(scope="session")
def build_output(tmp_path_factory):
    """The site built once per session with `mkdocs build --strict`: (site directory, build log)."""
    site = tmp_path_factory.mktemp("site")
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert build.returncode == 0, f"mkdocs build --strict failed:\n{build.stderr}"
    return site, build.stderr


@pytest.fixture(scope="session")
def site(build_output) -> Path:
    return build_output[0]


class Page(HTMLParser):
    """Every tag with its attributes, and every id a fragment can point at."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.ids: set[str] = set()
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        self.tags.append((tag, attributes))
        for name in ("id", "name"):
            if attributes.get(name):
                self.ids.add(attributes[name])


@pytest.fixture(scope="session")
def pages(site) -> dict[Path, Page]:
    """Every built HTML page, parsed, keyed by its path inside the site."""
    return {path.relative_to(site): Page(path.read_text()) for path in sorted(site.rglob("*.html"))}
