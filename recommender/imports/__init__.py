"""A person's library (BibTeX, RIS, CSL-JSON exports) read and stored as their 👍.

:mod:`~recommender.imports.formats` reads a file into entries;
:mod:`~recommender.imports.library` matches them to stored papers and records the 👍;
:mod:`~recommender.imports.export` writes stored papers back as such a file.
"""

from recommender.imports.formats import FORMATS, SUFFIXES, LibraryEntry, detect_format, format_of_name, parse_library
from recommender.imports.library import IMPORT_ORIGIN, ImportResult, store_library

__all__ = ["FORMATS", "IMPORT_ORIGIN", "SUFFIXES", "ImportResult", "LibraryEntry", "detect_format", "format_of_name",
           "parse_library", "store_library"]
