"""Keep lab pages offline: drop the scripts nbconvert's template loads from a CDN.

mkdocs-jupyter renders notebooks with nbconvert's template, which imports Mermaid and MathJax from cdnjs on every
notebook page. The labs use neither (the site's own Mermaid serves the Markdown pages), so both scripts go.
"""

import re

EXTERNAL_SCRIPT = re.compile(r"<script\b[^>]*>(?:(?!</script>).)*?https://cdnjs\.cloudflare\.com(?:(?!</script>).)*?</script>"
                             r"|<script\b[^>]*\bsrc=\"https://cdnjs\.cloudflare\.com[^\"]*\"[^>]*>\s*</script>", re.S)


def on_post_page(output: str, page, config) -> str:
    if not page.file.src_uri.endswith(".ipynb"):
        return output
    return EXTERNAL_SCRIPT.sub("", output)
