"""Links in the labs: a notebook's Markdown cell links to a page by its source file, `../kafka/backpressure.md`.

That link works in Jupyter and on GitHub. MkDocs turns such links into page URLs in Markdown pages only;
mkdocs-jupyter leaves them as written, so on the site they would point at .md files that are not there. This hook
rewrites each one to the page's URL, relative to the lab, and fails the build when the target is not a page.
"""

import posixpath
import re

from mkdocs.exceptions import PluginError
from mkdocs.utils import get_relative_url

SOURCE_LINK = re.compile(r'(<a\s[^>]*?href=")([^":?#]+\.md)((?:#[^"]*)?")')


def page_links(html: str, src_uri: str, page_url: str, files) -> str:
    def rewrite(link: re.Match) -> str:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(src_uri), link[2]))
        file = files.get_file_from_path(target)
        if file is None or not file.is_documentation_page():
            raise PluginError(f"{src_uri} links to {link[2]}, which is not a page of the site")
        return link[1] + get_relative_url(file.url, page_url) + link[3]

    return SOURCE_LINK.sub(rewrite, html)


def on_page_content(html, page, config, files):
    if not page.file.src_uri.endswith(".ipynb"):
        return html
    return page_links(html, page.file.src_uri, page.url, files)
