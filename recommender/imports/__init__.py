"""A person's library (BibTeX, RIS, CSL-JSON exports) read and stored as their 👍.

:mod:`~recommender.imports.formats` reads a file into entries;
:mod:`~recommender.imports.library` matches them to stored papers and records the 👍;
:mod:`~recommender.imports.export` writes stored papers back as such a file.
"""

from recommender.imports.formats import FORMATS, LibraryEntry, detect_format, parse_library
from recommender.imports.library import IMPORT_ORIGIN, ImportResult, store_library

__all__ = ["FORMATS", "IMPORT_ORIGIN", "ImportResult", "LibraryEntry", "detect_format", "parse_library", "store_library"]
