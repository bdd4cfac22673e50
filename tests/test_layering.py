"""The domain never imports the web framework."""

from __future__ import annotations

import subprocess
import sys


def test_the_domain_never_imports_flask():
    code = (
        "import sys, pkgutil, importlib, permit\n"
        "for m in pkgutil.walk_packages(permit.__path__, 'permit.'):\n"
        "    if '.migrations' in m.name: continue\n"
        "    importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in {'flask', 'werkzeug', 'web'})\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
