"""The one exception hierarchy of annotator.

Every error a user can cause carries a short title and a one-line message that names
the file involved and says what to do.  The CLI prints ``title: message`` to stderr
and exits with ``exit_code``; the app shows the same text as a notification.
"""

from __future__ import annotations


class AnnotatorError(Exception):
    """Base class: an error the user can act on (never a bug)."""

    title = "Error"
    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(AnnotatorError):
    """A file given to import cannot be used as it is."""

    title = "Bad input"
    exit_code = 2


class DatabaseError(AnnotatorError):
    """The database cannot be opened, read or written."""

    title = "Database error"
    exit_code = 3


class DatabaseCorrupt(DatabaseError):
    """A database file is not what annotator wrote; it is never overwritten."""

    title = "Database damaged"


class DatabaseLocked(DatabaseError):
    """Another process holds the database for writing."""

    title = "Database in use"
    exit_code = 4


class Outdated(DatabaseError, ValueError):
    """A decision on a sentence that is no longer one: another reviewer split or joined it a
    moment ago (the screen had not taken that in yet).  Nothing was written.  Also a
    ValueError, as a decision on a span that is not a sentence always was."""

    title = "Changed meanwhile"


class SaveError(DatabaseError):
    """A write did not reach the disk (disk full, read-only folder, ...)."""

    title = "Not saved"


class ExportError(AnnotatorError):
    """An export file cannot be written."""

    title = "Export failed"


class SettingsError(AnnotatorError):
    """An unknown setting, a bad value, or a settings file that cannot be written."""

    title = "Bad setting"
    exit_code = 2
