"""Starts bqemulator (its own `bqemulator` CLI, same arguments) with two Phoenix changes.

1. Time-travel snapshots are off unless PHOENIX_BQ_TIME_TRAVEL=1. bqemulator serves
   `FOR SYSTEM_TIME AS OF` by copying the whole table into a snapshot table after every
   write that changes it (DML, load, insertAll, Storage Write append) and keeping the
   copies for `time_travel_retention_days` (0 still copies). On a write-heavy workload
   that makes every MERGE cost O(table size) -- a no-op DELETE on a 40,000-row
   events_raw took 200 ms instead of 20 -- and grew the DuckDB file by gigabytes a day.
   Real BigQuery keeps time travel without copying, and Phoenix never queries it (its
   bitemporal history is in its own tables).

2. Storage Write API appends touch DuckDB on the event loop, like everything else.
   bqemulator runs its gRPC AppendRows handler on worker threads, which then use the one
   DuckDB connection that the REST handlers use on the event loop thread. Concurrent
   use deadlocks: seen here (2026-11-26, py-spy) with the main thread inside
   `connection.execute` for a REST query and a worker inside
   `connection.unregister` after an append's INSERT, both waiting forever. The worker
   now hands the catalog lookup and the append itself to the event loop and waits for
   them, under the engine's own write lock, so DuckDB sees one thread as it expects.

Everything else is bqemulator unchanged. See NOTES.md ("Time travel", "Storage Write API").
"""

import asyncio
import os
import sys

from bqemulator import server as emulator_server
from bqemulator.cli import main
from bqemulator.grpc_api import write_servicer
from bqemulator.versioning import snapshots

if os.environ.get("PHOENIX_BQ_TIME_TRAVEL", "0") != "1":
    # capture() returning None is the manager's own "nothing to snapshot" answer; the
    # TableDataChanged event (materialized views, query cache) is still published.
    snapshots.SnapshotManager.capture = lambda self, *args, **kwargs: None

_loop = None
_build_grpc_server = emulator_server.build_grpc_server


def _build_grpc_server_on_loop(context):
    # Called by the server's async start-up, on the event loop that serves REST.
    global _loop
    _loop = asyncio.get_running_loop()
    return _build_grpc_server(context)


emulator_server.build_grpc_server = _build_grpc_server_on_loop


def _on_loop(method, write):
    def run(self, *args, **kwargs):
        async def call():
            if write:
                async with self._ctx.engine.write_lock():
                    return method(self, *args, **kwargs)
            return method(self, *args, **kwargs)

        return asyncio.run_coroutine_threadsafe(call(), _loop).result()

    return run


write_servicer.BigQueryWriteHandler._bind_stream_to_target = _on_loop(
    write_servicer.BigQueryWriteHandler._bind_stream_to_target, write=False
)
write_servicer.BigQueryWriteHandler._perform_append = _on_loop(
    write_servicer.BigQueryWriteHandler._perform_append, write=True
)

if __name__ == "__main__":
    sys.argv[0] = "bqemulator"
    sys.exit(main())
