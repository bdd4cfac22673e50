"""Every interface text has its Chinese, and the compiled catalog is the current one."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from babel.messages.pofile import read_po
from babel.support import Translations

ROOT = Path(__file__).resolve().parent.parent


def script():
    spec = importlib.util.spec_from_file_location(
        "translations", ROOT / "scripts" / "translations.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_interface_text_has_its_chinese(tmp_path):
    translations = script()
    with translations.extract(tmp_path / "messages.pot").open("rb") as fh:
        msgids = {m.id for m in read_po(fh) if m.id}
    missing = sorted(msgids - set(translations.ZH))
    assert not missing, f"no Chinese for {missing}: add them to scripts/translations.py"


def test_the_compiled_catalog_is_current():
    catalog = Translations.load(str(ROOT / "web" / "translations"), ["zh"])
    stale = [k for k, v in script().ZH.items() if catalog.gettext(k) != v]
    assert not stale, f"run scripts/translations.py: stale entries {stale[:5]}"
