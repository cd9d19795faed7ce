/**
 * Runs a gateway entry point in N worker processes behind one port (node:cluster), so every
 * gateway gets the same number of workers. Usage: cluster.ts <workers> <script> [args...].
 * Prints {"msg":"cluster listening","workers":N} once every worker listens.
 */
import cluster, { type Worker } from 'node:cluster';

const [workersArg, script, ...args] = process.argv.slice(2);
const count = Number(workersArg);
if (!script || !Number.isSafeInteger(count) || count < 1) {
  process.stderr.write('usage: cluster.ts <workers> <script> [args...]\n');
  process.exit(2);
}
cluster.setupPrimary({ exec: script, args });
const workers: Worker[] = [];
let listening = 0;
let stopping = false;
cluster.on('listening', () => {
  listening += 1;
  if (listening === count) process.stdout.write(`${JSON.stringify({ msg: 'cluster listening', workers: count })}\n`);
});
cluster.on('exit', (worker, code, signal) => {
  if (stopping) {
    if (workers.every((w) => w.isDead())) process.exit(0);
    return;
  }
  process.stderr.write(`cluster: worker ${worker.process.pid} exited (${code ?? signal}); stopping\n`);
  stopping = true;
  for (const w of workers) w.kill('SIGTERM');
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 5_000).unref();
});
for (let i = 0; i < count; i++) workers.push(cluster.fork());
process.on('SIGTERM', () => {
  stopping = true;
  for (const w of workers) w.kill('SIGTERM');
  setTimeout(() => process.exit(0), 5_000).unref();
});
