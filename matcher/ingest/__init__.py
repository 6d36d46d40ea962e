"""Import of the data contract's files (CSV or .xlsx): read, validate, resolve, store.

An import is all or nothing: every row is read and checked first, every problem is
reported with its row and column, and only a file without problems is written, in one
transaction.
"""

from matcher.ingest.errors import ImportFailed, Problem
from matcher.ingest.importer import KINDS, ImportResult, import_file, import_into

__all__ = ["KINDS", "ImportFailed", "ImportResult", "Problem", "import_file", "import_into"]
