"""Storage: the only package that imports tinydb.  See ``database`` for the layout."""

from annotator.storage.database import Database
from annotator.storage.merging import Ahead, MergeResult
from annotator.storage.sharing import Refreshed
from annotator.storage.tinyfile import VERIFY_HINT, DamagedFile, OrjsonStorage, read_tinydb

__all__ = ["Ahead", "Database", "DamagedFile", "MergeResult", "OrjsonStorage", "Refreshed", "VERIFY_HINT", "read_tinydb"]
