"""Starts bqemulator (its own `bqemulator` CLI, same arguments) with one Phoenix setting.

Time-travel snapshots are off unless PHOENIX_BQ_TIME_TRAVEL=1. bqemulator serves
`FOR SYSTEM_TIME AS OF` by copying the whole table into a snapshot table after every
write that changes it (DML, load, insertAll, Storage Write append) and keeping the
copies for `time_travel_retention_days` (at least a day's worth; 0 still copies). On a
write-heavy workload that makes every MERGE cost O(table size) -- a no-op DELETE on a
40,000-row events_raw took 200 ms instead of 20 -- and grew the DuckDB file by
gigabytes a day. Real BigQuery keeps time travel without copying, and Phoenix never
queries it (its bitemporal history is in its own tables), so the local emulator skips
the copies. Everything else is bqemulator unchanged. See NOTES.md, "Time travel".
"""

import os
import sys

from bqemulator.cli import main
from bqemulator.versioning import snapshots

if os.environ.get("PHOENIX_BQ_TIME_TRAVEL", "0") != "1":
    # capture() returning None is the manager's own "nothing to snapshot" answer; the
    # TableDataChanged event (materialized views, query cache) is still published.
    snapshots.SnapshotManager.capture = lambda self, *args, **kwargs: None

if __name__ == "__main__":
    sys.argv[0] = "bqemulator"
    sys.exit(main())
