"""The ``visites`` command line; ``cli.main`` is its entry point."""

import os

# Arrow's jemalloc pool gives freed memory back to the system, where its default pool
# (mimalloc) keeps it: the snapshot job's peak RSS then stays flat as tables grow
# (docs/snapshot.md). pyarrow reads this once, when it is first imported.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "jemalloc")
