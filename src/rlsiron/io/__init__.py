"""Adapters for outside formats: results in (FHIR, HL7 v2, tables, lab reports), out to EHRs.

Each reader turns one file into an `Extract` (io/extract.py): the results and facts it found,
each with its origin, what it would not guess at, and what it could not read. `importer`
detects the format, runs the reader and merges several files into one contract input
document (io/merge.py). Nothing here decides anything clinical: test names, units and values
are read by the core, which refuses what it does not know.
"""
