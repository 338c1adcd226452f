"""The core (import, segmentation, storage, export) must not import Textual.

Run in a fresh interpreter: pytest itself may already have imported Textual.
"""

from __future__ import annotations

import subprocess
import sys

CORE = ["annotator.cli", "annotator.importer", "annotator.segment", "annotator.storage", "annotator.export",
        "annotator.stats", "annotator.agreement", "annotator.session", "annotator.layout", "annotator.model",
        "annotator.sanitize", "annotator.assign", "annotator.merge", "annotator.adjudicate", "annotator.review_session",
        "annotator.verify"]


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
