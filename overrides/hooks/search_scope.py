"""Keep block code and the question bank's answers out of the search index.

Readers search for concepts. The prose around each snippet names what the code does, and each answer in the
question bank sums up a concept page that the index already holds, so neither adds a concept, only weight: code
was a third of the index, the answers a sixth. The questions themselves are headings and stay searchable.

Material's search plugin skips an element marked `data-search-exclude`, up to the first closing tag of the same
name inside it. Code blocks (`div.highlight`, and `div.highlight-ipynb` in the labs; neither holds another div),
the hidden copy of each lab cell's code, and the collapsible answers (`details.question`, never nested) get that
mark. Inline `code` in sentences stays searchable, so a query such as min.insync.replicas still finds the pages
that explain the setting.
"""

import re

CODE_BLOCK = r'div(?=[^>]*\sclass="(?:[^"]*\s)?(?:highlight|highlight-ipynb|clipboard-copy-txt)(?:\s[^"]*)?")'
ANSWER = r'details(?=[^>]*\sclass="question")'
EXCLUDED = re.compile(rf"<(?:{CODE_BLOCK}|{ANSWER})[^>]*")


def on_page_content(html: str, page, config, files) -> str:
    return EXCLUDED.sub(lambda tag: tag.group(0) + " data-search-exclude", html)
