"""The ``azoai`` command: demo, doctor, emulator launcher. Tooling, not library.

Nothing in ``shared_core``, ``langchain_azoai`` or ``llamaindex_azoai`` imports this package.
"""
