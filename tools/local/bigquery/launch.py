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

3. `sqlglot.parse_one` remembers its last 512 answers. bqemulator parses the text of
   every statement about ten times (classification, snapshot and DDL detection, table
   rewriting, translation), and the ingest sends the same statement texts again and
   again with new parameters: parsing was half of the emulator's busy time in
   tools/bench/ingest (py-spy, 2026-11-26). Each caller gets its own copy of the
   tree (callers transform trees in place), so answers are exactly what parsing gives.

Everything else is bqemulator unchanged. See NOTES.md ("Time travel", "Storage Write
API", "Parsing").
"""

import asyncio
import collections
import os
import sys

import sqlglot

_parsed = collections.OrderedDict()
_parse_one = sqlglot.parse_one


def _cached_parse_one(sql, read=None, dialect=None, into=None, **opts):
    try:
        key = (sql, read, dialect, into, tuple(sorted(opts.items())))
        hash(key)
    except TypeError:  # an unhashable option: parse as usual
        return _parse_one(sql, read=read, dialect=dialect, into=into, **opts)
    tree = _parsed.get(key)
    if tree is None:
        tree = _parse_one(sql, read=read, dialect=dialect, into=into, **opts)
        _parsed[key] = tree
        if len(_parsed) > 512:
            _parsed.popitem(last=False)
    else:
        _parsed.move_to_end(key)
    return tree.copy()


if os.environ.get("PHOENIX_BQ_PARSE_CACHE", "1") != "0":
    sqlglot.parse_one = _cached_parse_one

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
