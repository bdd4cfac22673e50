"""Where gunicorn's workers spend their time under load: py-spy samples of all workers, folded
into the functions with the most samples (own and inclusive). py-spy is not a dependency of
the project: `pip install py-spy` into the virtualenv to use `bench/http.py --profile`."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def profile_while(pid: int, seconds: float, load: Callable[[], object], top: int = 30) -> str:
    """Run `load` while py-spy samples the process tree of `pid`; return the tables as text."""
    binary = _py_spy()
    if binary is None:
        load()
        return "py-spy is not installed: pip install py-spy (into the virtualenv)"
    with tempfile.TemporaryDirectory(prefix="permit-bench-profile-") as tmp:
        out = Path(tmp) / "stacks.txt"
        spy = subprocess.Popen(
            [
                binary,
                "record",
                "--pid",
                str(pid),
                "--subprocesses",
                "--rate",
                "200",
                "--duration",
                str(max(1, round(seconds))),
                "--format",
                "raw",
                "--output",
                str(out),
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        load()
        try:
            _, err = spy.communicate(timeout=seconds + 60)
        except subprocess.TimeoutExpired:
            spy.kill()
            _, err = spy.communicate()
        if not out.exists():
            return f"py-spy produced nothing: {err.strip()[-500:]}"
        return summarize(out.read_text(errors="replace"), top)


def _frame(name: str) -> str:
    root = f"{ROOT}/"
    return name.replace(root, "").replace(" (", " ", 1).rstrip(")")


def _package(frame: str) -> str:
    """The top-level package a frame's file belongs to (project folders by name)."""
    path = frame.rsplit(" ", 1)[-1]
    if path.startswith("<"):
        return "(generated)"
    head = path.split("/", 1)[0].split(".", 1)[0]
    return head if "/" in path else f"{head} (stdlib)"


def summarize(folded: str, top: int = 30) -> str:
    """Own time per package and per function; inclusive time of the project's functions and
    of its hottest lines."""
    own: Counter = Counter()
    packages: Counter = Counter()
    inclusive: Counter = Counter()
    lines_: Counter = Counter()
    total = 0
    for line in folded.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [_frame(f) for f in stack.split(";")]
        frames = [f for f in frames if not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        total += n
        own[frames[-1]] += n
        packages[_package(frames[-1])] += n
        ours = [f for f in frames if f.rsplit(" ", 1)[-1].startswith(_OURS)]
        for f in set(ours):
            lines_[f] += n
        for f in {f.rsplit(":", 1)[0] for f in ours}:
            inclusive[f] += n
    if not total:
        return "no samples"

    def table(counter: Counter, limit: int) -> list[str]:
        return [f"  {100 * n / total:5.1f}%  {f}" for f, n in counter.most_common(limit)]

    return "\n".join(
        [f"{total} samples (all workers, busy threads only)", "", "own time by package:"]
        + table(packages, 12)
        + ["", "own time by function:"]
        + table(own, 20)
        + ["", "inclusive time of the project's functions:"]
        + table(inclusive, top)
        + ["", "inclusive time of the project's lines:"]
        + table(lines_, 20)
    )


_OURS = ("permit/", "web/", "bench/", "tests/")
