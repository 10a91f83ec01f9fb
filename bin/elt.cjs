#!/usr/bin/env node
// Thin launcher: the CLI is written in TypeScript and compiled to dist/ by `npm install` (the prepare script).
// CommonJS on purpose: it runs before Node's ES module loader has used libuv's thread pool, so the pool size
// set here still counts (an ES module entry is itself read through the pool, which then keeps its default
// of 4 threads). Why the landing wants more threads: lib/local/thread-pool.ts.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');

// LANDING_THREAD_POOL_SIZE in lib/local/thread-pool.ts; a value set in the environment wins.
process.env.UV_THREADPOOL_SIZE ??= '16';

const entry = join(__dirname, '..', 'dist', 'bin', 'elt.js');
if (!existsSync(entry)) {
  process.stderr.write(
    'elt: the CLI is not built yet. Run `npm install` (or `npm run build`) in the repository first.\n',
  );
  process.exit(1);
}
import(pathToFileURL(entry).href).catch((error) => {
  process.stderr.write(`elt: ${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});
