"""Links in the labs' Markdown cells point at page sources (../fundamentals/quorums.md), as on every other page.

MkDocs rewrites such links only in Markdown pages, not in notebooks rendered by mkdocs-jupyter, so this hook
does it for notebook pages: each link to a .md file becomes the URL of that page, relative to the lab.
"""

import posixpath
import re

from mkdocs.exceptions import PluginError

SOURCE_LINK = re.compile(r'href="(?P<path>[^"#:?]+\.md)(?P<anchor>#[^"]*)?"')


def on_page_content(html: str, page, config, files) -> str:
    if not page.file.src_uri.endswith(".ipynb"):
        return html

    def page_url(link: re.Match) -> str:
        source = posixpath.normpath(posixpath.join(posixpath.dirname(page.file.src_uri), link["path"]))
        target = files.get_file_from_path(source)
        if target is None:
            raise PluginError(f"{page.file.src_uri} links to {link['path']}, which is not a page of the site")
        return f'href="{target.url_relative_to(page.file)}{link["anchor"] or ""}"'

    return SOURCE_LINK.sub(page_url, html)
