"""Debian's Chromium, which the browser tests and the Lighthouse benchmark drive; Playwright's own download fails here."""

CHROMIUM = "/usr/bin/chromium"
# No sandbox (the tests run as root in a container), and nothing that would call another host on its own.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"]
