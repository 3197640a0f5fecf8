"""Wire formats: request builders and response/stream parsers for each operation.

Pure functions and small classes, no I/O and no configuration: JSON in, neutral types out (and back).
Modules here import only ``shared_core.types``, ``shared_core.errors`` and each other.
"""
