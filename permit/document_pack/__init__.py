"""The documents an enterprise prepares for the experts' visit (000 现场会诊企业应备资料清单),
as one zip generated from its records: a folder for each of the list's six groups, holding PDFs
and workbooks built from the registers and the files uploaded with them, and an index at the
root naming every file and what it holds. A group with no records says so in a note."""

from .zipped import INDEX, NOTE, Contents, Entry, Group, build, filename, review_since, spec

__all__ = [
    "INDEX",
    "NOTE",
    "Contents",
    "Entry",
    "Group",
    "build",
    "filename",
    "review_since",
    "spec",
]
