"""Keep block code out of the search index: readers search for concepts, and the prose around each snippet names them.

Material's search plugin skips an element marked `data-search-exclude`, up to the first closing tag of the same
name inside it. Code blocks (`div.highlight`, and `div.highlight-ipynb` in the labs; neither holds another div) and
the hidden copy of each lab cell's code get that mark. Inline `code` in sentences stays searchable, so a query such
as min.insync.replicas still finds the pages that explain the setting.
"""

import re

CODE_BLOCK = re.compile(r'<div(?P<attributes>[^>]*\sclass="(?:[^"]*\s)?(?:highlight|highlight-ipynb|clipboard-copy-txt)'
                        r'(?:\s[^"]*)?"[^>]*)>')


def on_page_content(html: str, page, config, files) -> str:
    return CODE_BLOCK.sub(r"<div\g<attributes> data-search-exclude>", html)
