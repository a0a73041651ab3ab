"""Everything that runs the engine more than once: funding plans or scenario files compared
on common random numbers, ``--paths auto``, and streaming very large runs in chunks."""
