"""The same checks as test_every_page.py, on the other half of the pages, so that another worker visits them."""

from test_every_page import *  # noqa: F403 - its tests and fixtures; `visits` reads HALF from this module

HALF = 1
