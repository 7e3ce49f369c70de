"""Let the Tab key reach every code block, including those Material has not set up yet.

With `content.lazy`, Material sets up a code block only when it first scrolls into view. Only then does it add the
copy button and give a block whose lines overflow `tabindex="0"`, so that a keyboard can scroll it sideways. Until
then, a wide block below the fold would be skipped by the Tab key. So every block starts focusable, and Material
takes the attribute off each block that does not overflow when it sets that block up.
"""

import re

CODE_BLOCK = re.compile(r"(<pre>(?:<span></span>)?<code)>")  # not <pre class="mermaid">: diagrams are not code


def on_page_content(html: str, page, config, files) -> str:
    return CODE_BLOCK.sub(r'\1 tabindex="0">', html)
