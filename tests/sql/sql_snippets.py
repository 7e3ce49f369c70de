"""The named sections of the SQL snippets, read the way the pages embed them."""

import re
from pathlib import Path

SQL = Path(__file__).parents[2] / "snippets" / "sql"


def section(file: str, name: str) -> str:
    """The SQL between `-- --8<-- [start:name]` and `[end:name]` in snippets/sql/<file>."""
    text = (SQL / file).read_text()
    found = re.search(rf"^-- --8<-- \[start:{name}\]\n(.*?)^-- --8<-- \[end:{name}\]", text, re.S | re.M)
    assert found, f"no section {name!r} in snippets/sql/{file}"
    return found.group(1)
