"""Other tools' shapes: readers for import (``detect`` picks one by a record's keys; one
module per tool, ``ours`` for our own gold and sentences exports) and writers for export."""
