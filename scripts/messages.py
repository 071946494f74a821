"""Regenerate the translation catalogs and compile them.

Source strings are written in Chinese (the product's first language), so the zh_Hans
catalog maps every msgid to itself: it is complete by construction and a test checks
that no translatable string is missing from it. The English catalog keeps whatever
translations exist; untranslated entries fall back to Chinese.

Usage: .venv/bin/python scripts/messages.py   (needs GNU gettext: apt-get install gettext)
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ["zh_Hans", "en"]


def run_manage(*args: str) -> None:
    env = {**os.environ, "DEBUG": "1", "SECRET_KEY": "messages"}
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def fill_identity(po_path: Path) -> None:
    """zh_Hans: msgstr = msgid for every entry (plural forms included)."""
    import polib

    catalog = polib.pofile(str(po_path))
    for entry in catalog:
        if entry.msgid_plural:
            entry.msgstr_plural = {0: entry.msgid}
        else:
            entry.msgstr = entry.msgid
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    catalog.metadata["Language"] = "zh_Hans"
    catalog.metadata["Plural-Forms"] = "nplurals=1; plural=0;"
    catalog.save()


def main() -> None:
    ignore = ["--ignore=.venv/*", "--ignore=var/*", "--ignore=tests/*", "--ignore=bench/*"]
    for locale in LOCALES:
        run_manage("makemessages", "-l", locale, "--no-obsolete", "--no-location", *ignore)
    fill_identity(ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")
    run_manage("compilemessages", "--ignore=.venv/*")


if __name__ == "__main__":
    main()
