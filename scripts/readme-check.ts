// `npm run test:readme`: the README as a new user pastes it. Copies this checkout as a fresh clone has it
// (tracked and new files, nothing ignored: no node_modules, no .services, no elt-data) into a new folder, runs
// every ```sh block of README.md there in order, each in its own `bash -e` the way the lines run when
// pasted, and fails when a block exits non-zero, when a block's output lacks the sample output the README
// shows for it, or when anything the blocks started still listens afterwards. Blocks marked
// `<!-- readme-check: skip: <reason> -->` (the AWS deploy, the full suite itself) are listed, not run.
import { spawn, execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Command, Option } from 'commander';
import { packageRoot } from '../lib/package-paths.js';
import { listeningSockets, socketOwners, type ListeningSocket } from '../test/support/listening.js';
import { missingOutputLines, readmeBlocks, type ReadmeBlock } from './readme-blocks.js';

/** The ports the README's blocks use with the scripts' defaults: they must be free before the run. */
const README_PORTS: Readonly<Record<number, string>> = {
  4566: 'LocalStack',
  9092: 'Kafka',
  9093: 'the Kafka controller',
  8083: 'Kafka Connect',
  55432: 'PostgreSQL',
  8080: 'elt serve',
};

/** What a user's shell would not have: npm's own variables (this runs under `npm run`) and service overrides. */
const NOT_IN_A_USERS_SHELL = /^(npm_|ELT_|AWS_|CDK_|INIT_CWD$|VITEST)/;

interface Options {
  readonly from: string;
  readonly keep: boolean;
  readonly blockTimeout: number;
  readonly json: boolean;
}

interface BlockResult {
  readonly line: number;
  readonly status: 'passed' | 'failed' | 'skipped';
  readonly seconds?: number;
  readonly exitCode?: number | null;
  readonly reason?: string;
  readonly missingOutput?: string[];
  readonly firstCommand: string;
}

const program = new Command('readme-check')
  .description(
    "Run README.md's sh blocks in order on a fresh copy of this checkout, as a user pastes them; check each one's exit status, the sample outputs, and that nothing started is still listening.",
  )
  .option('--from <dir>', 'the checkout to copy', packageRoot())
  .option('--keep', 'keep the copy afterwards (its path is printed)', false)
  .addOption(
    new Option('--block-timeout <seconds>', 'stop a block that runs longer than this')
      .default(1200)
      .argParser(Number),
  )
  .option('--json', 'a JSON summary on stdout', false);

const say = (text: string): void => void process.stderr.write(`${text}\n`);

/** The files a fresh clone of `from` would have, plus files not yet committed: git's tracked and new files. */
function copyCheckout(from: string, to: string): number {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: from,
    maxBuffer: 64 << 20,
  })
    .toString()
    .split('\0')
    .filter((f) => f !== '' && existsSync(join(from, f)));
  for (const file of files) {
    mkdirSync(dirname(join(to, file)), { recursive: true });
    copyFileSync(join(from, file), join(to, file));
    // Keep the executable bit: the service scripts are run directly.
    chmodSync(join(to, file), statSync(join(from, file)).mode & 0o777);
  }
  // A git repository, as a clone is (some tools look for one); the files stay as copied.
  execFileSync('git', ['init', '-q'], { cwd: to });
  return files.length;
}

function userEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !NOT_IN_A_USERS_SHELL.test(name)));
}

/** Runs one block in `bash -e`, its output shown as it comes (indented) and kept for the sample comparison. */
function runBlock(
  block: ReadmeBlock,
  cwd: string,
  timeoutSeconds: number,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', block.text], {
      cwd,
      env: userEnvironment(),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    const show = (chunk: Buffer): void => {
      const text = chunk.toString();
      output += text;
      process.stderr.write(text.replace(/^(?=.)/gm, '    │ '));
    };
    child.stdout.on('data', show);
    child.stderr.on('data', show);
    const timer = setTimeout(() => {
      say(`    block at README.md:${block.line} ran past ${timeoutSeconds} s; stopping it`);
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
    }, timeoutSeconds * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const key = (s: ListeningSocket): string => `${s.address}:${s.port}`;

async function main(): Promise<number> {
  program.parse(process.argv);
  const options = program.opts<Options>();
  const blocks = readmeBlocks(readFileSync(join(options.from, 'README.md'), 'utf8'));

  const before = await listeningSockets();
  const held = before.filter((s) => README_PORTS[s.port] !== undefined);
  if (held.length > 0) {
    for (const s of held)
      say(
        `readme-check: ${key(s)} (${README_PORTS[s.port]}) is already in use (${(await socketOwners(s.inode)).join('; ') || 'owner unknown'}): the README's blocks need it free. Stop it and run again.`,
      );
    return 2;
  }

  const clone = mkdtempSync(join(tmpdir(), 'elt-readme-'));
  // Readable by other users, as a checkout in a home directory is: PostgreSQL's server runs as `postgres`.
  chmodSync(clone, 0o755);
  const copied = copyCheckout(options.from, clone);
  say(
    `readme-check: ${copied} files of ${options.from} copied to ${clone}; running README.md's blocks there`,
  );

  const results: BlockResult[] = [];
  const outputs = new Map<ReadmeBlock, string>();
  for (const block of blocks) {
    const firstCommand = block.text.split('\n').find((l) => l.trim() !== '' && !l.startsWith('#')) ?? '';
    if (block.kind === 'skip') {
      say(`\n○ README.md:${block.line} skipped (${block.reason}): ${firstCommand}`);
      results.push({ line: block.line, status: 'skipped', reason: block.reason!, firstCommand });
      continue;
    }
    if (block.kind === 'output') {
      const source = [...outputs.keys()].findLast((b) => b.text.includes(block.of!));
      const ran = source && results.find((r) => r.line === source.line);
      if (!source || !ran) {
        say(
          `✗ README.md:${block.line}: no block above runs ${JSON.stringify(block.of)}, whose output this shows`,
        );
        results.push({ line: block.line, status: 'failed', firstCommand: block.of! });
        continue;
      }
      const missing = missingOutputLines(block.text, outputs.get(source)!);
      if (missing.length > 0) {
        results[results.indexOf(ran)] = { ...ran, status: 'failed', missingOutput: missing };
        say(
          `✗ README.md:${block.line}: the output of README.md:${source.line} lacks these lines of the sample:`,
        );
        for (const l of missing) say(`    ${l}`);
      } else
        say(`✓ README.md:${block.line}: the sample output matches what README.md:${source.line} printed`);
      continue;
    }
    say(`\n▶ README.md:${block.line}\n${block.text.replace(/^/gm, '  $ ')}`);
    const started = Date.now();
    const { code, output } = await runBlock(block, clone, options.blockTimeout);
    const seconds = Math.round((Date.now() - started) / 100) / 10;
    outputs.set(block, output);
    results.push({
      line: block.line,
      status: code === 0 ? 'passed' : 'failed',
      seconds,
      exitCode: code,
      firstCommand,
    });
    say(
      code === 0
        ? `✓ README.md:${block.line} exited 0 in ${seconds} s`
        : `✗ README.md:${block.line} exited ${code} after ${seconds} s`,
    );
  }

  // Anything the blocks started and left running: a listening socket that was not there before.
  const known = new Set(before.map(key));
  const leftOver = (await listeningSockets()).filter((s) => !known.has(key(s)));
  const leftListening: string[] = [];
  for (const s of leftOver)
    leftListening.push(`${key(s)}: ${(await socketOwners(s.inode)).join('; ') || 'owner unknown'}`);
  if (leftListening.length > 0) {
    say(`\n✗ still listening after the README's blocks (started by them, not stopped by them):`);
    for (const l of leftListening) say(`    ${l}`);
    // Tidy the machine anyway; the check has failed already.
    for (const script of ['localstack.sh', 'kafka.sh', 'postgres.sh'])
      try {
        execFileSync(join(clone, 'scripts', 'services', script), ['down'], {
          cwd: clone,
          stdio: 'ignore',
          timeout: 120_000,
        });
      } catch {
        // best effort
      }
  } else say('\n✓ nothing the blocks started is still listening');

  const failed = results.filter((r) => r.status === 'failed');
  const summary = {
    copy: clone,
    blocks: results,
    passed: results.filter((r) => r.status === 'passed').length,
    failed: failed.length,
    skipped: results.filter((r) => r.status === 'skipped').length,
    stillListening: leftListening,
  };
  say(
    `readme-check: ${summary.passed} blocks passed, ${summary.failed} failed, ${summary.skipped} skipped; ${leftListening.length} sockets left listening`,
  );
  if (options.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  if (options.keep) say(`the copy is kept: ${clone}`);
  else rmSync(clone, { recursive: true, force: true });
  return failed.length === 0 && leftListening.length === 0 && summary.passed > 0 ? 0 : 1;
}

process.exitCode = await main();
