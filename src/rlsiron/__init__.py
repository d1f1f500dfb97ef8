"""rlsiron: decision support for iron in restless legs syndrome.

Kept import-free on purpose: the CLI's cold start is a measured target, so
submodules are imported where they are used.
"""

__version__ = "0.1.0"
