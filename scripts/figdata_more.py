"""figdata_more — the builders of figdata.py for the figures after tasks
(pool, GIL, IPC, counter, coroutine, price); see figdata.py."""

BUILDERS = {}
