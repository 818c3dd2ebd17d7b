// Every shell block in the README and the docs says how it is checked, on the comment line
// right above it, and CI runs each one marked `sh: run` as written:
//
//   <!-- sh: run -->                      run here, in the repository; must exit 0
//   <!-- sh: run until "<text>" -->       a server: run until it prints <text>, then stopped
//   <!-- ... run by <path> ... -->        run by that script or test (which must exist)
//   <!-- sh: not run here: <reason> -->   cannot run on this machine (say why)
//
// `node scripts/doc-commands.mjs --check` only checks that every block is marked (the docs test
// calls it); without `--check` it also runs the blocks (.ci/run, after `npm test` built everything).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const documents = [
  'README.md',
  ...readdirSync(join(root, 'docs')).map((name) => `docs/${name}`),
  ...readdirSync(join(root, 'examples'))
    .map((name) => `examples/${name}/README.md`)
    .filter((path) => existsSync(join(root, path))),
].filter((path) => path.endsWith('.md'));

/** Every ```sh block of a document, with the comment line above it. */
function blocks(path) {
  const lines = readFileSync(join(root, path), 'utf8').split('\n');
  const found = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== '```sh') continue;
    const end = lines.indexOf('```', i + 1);
    let above = i - 1;
    while (above >= 0 && lines[above].trim() === '') above--;
    found.push({ path, line: i + 1, mark: lines[above]?.trim() ?? '', script: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return found;
}

function howChecked(block) {
  const mark = /^<!--(.*)-->$/.exec(block.mark)?.[1] ?? '';
  const until = /sh: run until "([^"]+)"/.exec(mark);
  if (until) return { run: true, until: until[1] };
  if (/sh: run\b(?! by)/.test(mark) && !/run by/.test(mark)) return { run: true };
  const by = /run by (\S+)/.exec(mark);
  if (by) return { by: by[1] };
  if (/sh: not run here: \S/.test(mark)) return { skip: true };
  return undefined;
}

/** Runs one block with bash in the repository; a server is stopped once it printed `until`. */
function run(block, until) {
  return new Promise((done) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', block.script], {
      cwd: root,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let ready = false;
    const stop = () => {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {}
    };
    const timer = setTimeout(stop, 180_000);
    const read = (chunk) => {
      output += chunk;
      if (until !== undefined && !ready && output.includes(until)) {
        ready = true;
        stop();
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('exit', (code) => {
      clearTimeout(timer);
      stop(); // whatever it left in the background
      done({ ok: until === undefined ? code === 0 : ready, output, code });
    });
  });
}

// What a reader's shell holds by then: the bridge block exports its token, the Collector block uses it.
process.env.AGENTSIGHT_BRIDGE_TOKEN ??= `docs-${Math.random().toString(16).slice(2)}${Date.now().toString(16)}`;

const check = process.argv.includes('--check');
const problems = [];
let ran = 0;
for (const block of documents.flatMap(blocks)) {
  const where = `${block.path}:${block.line}`;
  const how = howChecked(block);
  if (how === undefined) {
    problems.push(
      `${where}: a shell block without "<!-- sh: run -->", "run by <path>" or "sh: not run here: <reason>" above it`,
    );
  } else if (how.by !== undefined && !existsSync(join(root, how.by))) {
    problems.push(`${where}: run by ${how.by}, which does not exist`);
  } else if (how.run && !check) {
    const result = await run(block, how.until);
    ran += 1;
    console.log(`${result.ok ? 'ok  ' : 'FAIL'} ${where}`);
    if (!result.ok) problems.push(`${where}: exit ${result.code}\n${result.output.slice(-4000)}`);
  }
}
if (problems.length > 0) {
  console.error(problems.join('\n\n'));
  process.exit(1);
}
console.log(
  check ? 'every shell block in the docs says how it is checked' : `${ran} documented shell blocks ran as written`,
);
