"""Which suggester a run uses, from the command line's words (``label --suggest``)."""

from __future__ import annotations

from annotator.errors import InputError
from annotator.suggest.base import Suggester

BUILT_IN = ("rules", "model")


def choose(name: str | None, cmd: str | None, *, min_score: float, timeout: float) -> Suggester | None:
    """The suggester ``--suggest NAME`` or ``--suggest-cmd CMD`` names (None: neither).  The
    model's library is checked here, so a missing extra is one line before the app opens."""
    if name is not None and cmd is not None:
        raise InputError("--suggest and --suggest-cmd cannot be combined: choose one suggester for this run")
    if not 0.0 <= min_score <= 1.0:
        raise InputError(f"--min-score {min_score:g}: give a number from 0 to 1")
    if cmd is not None:
        from annotator.suggest.external import ExternalSuggester

        if not cmd.strip():
            raise InputError("--suggest-cmd: give the command to run, e.g. --suggest-cmd 'python my_model.py'")
        return ExternalSuggester(cmd, timeout=timeout)
    if name is None:
        return None
    if name == "rules":
        from annotator.suggest.rules import RulesSuggester

        return RulesSuggester()
    if name == "model":
        from annotator.suggest.remote import RemoteModelSuggester

        return RemoteModelSuggester(min_score=min_score)  # (checks that scikit-learn is there)
    raise InputError(f"--suggest {name}: not a suggester; choose one of {', '.join(BUILT_IN)}, a name of "
                     f"suggestions imported with `annotator suggest import`, or give a command with --suggest-cmd")
