"""The core (import, segmentation, storage, export) must not import Textual.

Run in a fresh interpreter: pytest itself may already have imported Textual.
"""

from __future__ import annotations

import subprocess
import sys

import pkgutil

import annotator

# Every module but the Textual app itself (app.py and ui/), so a new core module is covered
# the day it is added.
CORE = sorted(
    m.name for m in pkgutil.walk_packages(annotator.__path__, "annotator.")
    if m.name not in ("annotator.app", "annotator.__main__") and not m.name.startswith("annotator.ui")
)


def test_core_modules_do_not_import_textual() -> None:
    code = (
        "import sys\n"
        f"for m in {CORE!r}: __import__(m)\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_help_does_not_import_textual() -> None:
    code = (
        "import sys\n"
        "from annotator.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('TEXTUAL' if 'textual' in sys.modules else 'CLEAN', file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stderr.strip().endswith("CLEAN")
