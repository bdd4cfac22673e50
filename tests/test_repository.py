"""The repository itself: what a careless merge can leave behind."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEXT = {".py", ".html", ".css", ".js", ".toml", ".md", ".po", ".txt", ".cfg", ".ini", ".sh"}
SKIP = {".git", ".venv", "node_modules", "__pycache__", ".pytest_cache", "build", "dist"}
# A browser drops the CSS rule after a stray marker; Python and TOML fail only when loaded.
MARKER = re.compile(r"^(<{7} |={7}$|>{7} )", re.MULTILINE)


def _files():
    for path in ROOT.rglob("*"):
        if path.suffix in TEXT and not SKIP.intersection(path.relative_to(ROOT).parts):
            yield path


def test_no_file_holds_merge_conflict_markers():
    found = [
        f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, m.start()) + 1}"
        for path in _files()
        for text in [path.read_text(encoding="utf-8", errors="replace")]
        for m in MARKER.finditer(text)
    ]
    assert found == []
