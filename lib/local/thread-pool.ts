// The size of libuv's thread pool for processes that land into the filesystem store.
//
// A durable landing blocks a pool thread in fdatasync/fsync for each object and its directory, while the
// same pool gzips the objects. With libuv's default of 4 threads, a batch of 20–60 objects waits in line
// for the disk behind the compressors; with more threads the syncs overlap and the CPU stays busy.
// Measured 2026-12-04 on 2 cores (SQS-shaped batches of 1,000 records into the filesystem store, 4,223
// objects for 200,000 records): 68,000 records/s with 4 threads, 75,000 with 16.
//
// libuv reads UV_THREADPOOL_SIZE once, when the pool's first job is queued, and Node's ES module loader
// queues jobs before an ES module entry runs: the variable must be set by a CommonJS launcher
// (bin/elt.cjs) or in the environment of a child process (the benchmarks' measuring processes).

/** Pool threads when UV_THREADPOOL_SIZE is not set (bin/elt.cjs sets the same number). */
export const LANDING_THREAD_POOL_SIZE = 16;

/** `env` with UV_THREADPOOL_SIZE defaulted to {@link LANDING_THREAD_POOL_SIZE}: a value already set wins. */
export function withLandingThreadPool(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, UV_THREADPOOL_SIZE: env.UV_THREADPOOL_SIZE ?? String(LANDING_THREAD_POOL_SIZE) };
}
