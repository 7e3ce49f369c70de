"""Keep lab pages offline and light: drop what nbconvert's template adds around a notebook.

mkdocs-jupyter renders notebooks with nbconvert's template, which
- imports Mermaid and MathJax from cdnjs on every notebook page. The labs use neither (the site's own Mermaid serves
  the Markdown pages), so both scripts go, with MathJax's configuration and the empty `<script src="">` left behind;
- inlines the whole JupyterLab theme and a Pygments theme in `<style>` blocks: about 590 kB, 89 kB gzipped, on every
  lab. They go too. docs/assets/stylesheets/extra.css styles the few `.jp-*` classes the labs use, in the site's own
  code colours (light and dark).
Style blocks inside the notebook's own outputs (between `<div class="jupyter-wrapper">` and its end) stay.

Each highlighted input cell also gets Material's class "highlight" (so its code gets the site's syntax colours) and
tabindex="0": it scrolls sideways on a narrow screen, and a keyboard user must
be able to reach it (axe: scrollable-region-focusable), as Material does for its own code blocks.
"""

import re

EXTERNAL_SCRIPT = re.compile(r"<script\b[^>]*>(?:(?!</script>).)*?https://cdnjs\.cloudflare\.com(?:(?!</script>).)*?</script>"
                             r"|<script\b[^>]*\bsrc=\"https://cdnjs\.cloudflare\.com[^\"]*\"[^>]*>\s*</script>", re.S)
TEMPLATE_LEFTOVERS = re.compile(r"<style\b[^>]*>.*?</style>"
                                r"|<script src=\"\">\s*</script>"
                                r"|<script type=\"text/x-mathjax-config\">.*?</script>"
                                r"|<!-- (?:Load mathjax|MathJax configuration|End of mathjax configuration"
                                r"|End of mermaid configuration) -->", re.S)
NOTEBOOK = re.compile(r"<div class=\"jupyter-wrapper\">.*<!-- jupyter-wrapper -->", re.S)
INPUT_CODE = '<div class="highlight-ipynb'


def strip_template(html: str) -> str:
    """Remove nbconvert's CDN scripts, inline themes and MathJax set-up outside the notebook itself."""
    html = EXTERNAL_SCRIPT.sub("", html)
    notebook = NOTEBOOK.search(html)
    if notebook is None:
        return TEMPLATE_LEFTOVERS.sub("", html)
    before, body, after = html[: notebook.start()], notebook.group(0), html[notebook.end() :]
    body = body.replace(INPUT_CODE, '<div tabindex="0" class="highlight highlight-ipynb')
    return TEMPLATE_LEFTOVERS.sub("", before) + body + TEMPLATE_LEFTOVERS.sub("", after)


def on_post_page(output: str, page, config) -> str:
    if not page.file.src_uri.endswith(".ipynb"):
        return output
    return strip_template(output)
