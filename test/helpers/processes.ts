import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Repository root, from build/test/helpers. */
export const ROOT = resolve(__dirname, '../../..');

/** A child Node process whose output is collected. */
export interface RunningProcess {
  readonly child: ChildProcess;
  output(): string;
  /** Waits until the output matches, and returns the match. */
  waitFor(pattern: RegExp, timeoutMillis?: number): Promise<RegExpExecArray>;
  /** Sends a signal and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited(): Promise<number | null>;
}

/** Starts `node <script> ...args` from the repository root, with OPENAI_API_KEY removed (offline, deterministic). */
export function runNode(
  script: string,
  args: string[] = [],
  env: Record<string, string> = {},
  stdin: 'ignore' | 'pipe' = 'ignore',
): RunningProcess {
  return runProgram(process.execPath, [resolve(ROOT, script), ...args], env, stdin);
}

/** Starts any program from the repository root, its output collected, OPENAI_API_KEY removed. */
export function runProgram(
  command: string,
  args: string[] = [],
  env: Record<string, string> = {},
  stdin: 'ignore' | 'pipe' = 'ignore',
): RunningProcess {
  const { OPENAI_API_KEY: _openai, ...inherited } = process.env;
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...inherited, ...env },
    stdio: [stdin, 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exit = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return {
    child,
    output: () => output,
    async waitFor(pattern, timeoutMillis = 15_000) {
      const deadline = Date.now() + timeoutMillis;
      for (;;) {
        const match = pattern.exec(output);
        if (match) return match;
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`never printed ${pattern} (exit ${child.exitCode}); output:\n${output}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exit;
    },
    exited: () => exit,
  };
}

/**
 * The path of a program a repository script builds and caches (`scripts/jaeger.sh`,
 * `scripts/collector.sh`, `scripts/python-env.sh`), building it now if needed (minutes on a fresh
 * machine; `.ci/run` builds them first). Undefined when it cannot be built here (no Go, no
 * Python): the caller skips, unless AGENTSIGHT_REQUIRE_TOOLS is set (CI), where that fails.
 */
export function cachedTool(script: string, args: string[] = ['--build-only']): string | undefined {
  try {
    return execFileSync('bash', [resolve(ROOT, script), ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 900_000,
    }).trim();
  } catch (error) {
    if (process.env.AGENTSIGHT_REQUIRE_TOOLS) throw error;
    return undefined;
  }
}

/** A free TCP port on loopback (asked of the OS, then released). */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0] as number;
}

/**
 * `count` distinct free ports: all are held open until each is chosen, then released. Asked one
 * at a time, the system can hand the same just-released port out twice (a CI run failed on
 * EADDRINUSE when the bridge's gRPC port came out equal to its HTTP port).
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  await Promise.all(servers.map((server) => new Promise<void>((done) => server.listen(0, '127.0.0.1', done))));
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise<void>((done) => server.close(() => done()))));
  return ports;
}

/**
 * Mocha hook: the Collector binary and the Python environment, built once (a first build from an
 * empty Go module cache takes minutes); the suite is skipped, saying why, where they cannot be
 * built (CI requires them: AGENTSIGHT_REQUIRE_TOOLS).
 */
export function useCollectorTools(): () => { readonly collector: string; readonly python: string } {
  let tools: { collector: string; python: string } | undefined;
  before(function () {
    this.timeout(1_200_000);
    const collector = cachedTool('scripts/collector.sh');
    const python = cachedTool('scripts/python-env.sh', []);
    if (collector === undefined || python === undefined) {
      console.warn('    (skipped: the Collector or the Python environment cannot be built here; see .ci/run)');
      this.skip();
    }
    tools = { collector: collector as string, python: python as string };
  });
  return () => {
    if (tools === undefined) throw new Error('the Collector tools are not built');
    return tools;
  };
}

/** Where a test's Collector listens and sends: the bridge's ports, its own OTLP port, its queue's folder. */
export interface CollectorPorts {
  readonly bridgePort: number;
  readonly otlpPort: number;
  readonly storage: string;
  readonly token: string;
  /** With it, the gRPC overlay (collector/grpc.yaml): the Collector sends to the bridge's gRPC port. */
  readonly grpcPort?: number;
}

/** Starts the Collector with collector/config.yaml (and the gRPC overlay) and waits until it is ready. */
export async function startCollector(binary: string, ports: CollectorPorts): Promise<RunningProcess> {
  const overlays = ports.grpcPort === undefined ? [] : ['--config', 'collector/grpc.yaml'];
  const collector = runProgram(binary, ['--config', 'collector/config.yaml', ...overlays], {
    AGENTSIGHT_BRIDGE_URL: `http://127.0.0.1:${ports.bridgePort}`,
    AGENTSIGHT_BRIDGE_GRPC_ENDPOINT: `127.0.0.1:${ports.grpcPort ?? 0}`,
    AGENTSIGHT_BRIDGE_TOKEN: ports.token,
    COLLECTOR_OTLP_HTTP: `127.0.0.1:${ports.otlpPort}`,
    COLLECTOR_STORAGE: ports.storage,
  });
  try {
    await collector.waitFor(/Everything is ready/, 30_000);
  } catch (error) {
    await collector.stop();
    throw error;
  }
  return collector;
}

/** POSTs `body` as JSON; the status, and the answer parsed as JSON (undefined when empty). */
export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, any> | undefined }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, any>) : undefined };
}

/** What a suite that runs a real Collector gets from {@link useCollectorRun}. */
export interface CollectorRun {
  /** The Collector binary and the Python environment (built once; the suite skips without them). */
  readonly tools: () => { readonly collector: string; readonly python: string };
  /** Starts a Collector sending with the suite's token; it is stopped after the test. */
  startCollector(ports: Omit<CollectorPorts, 'token'>): Promise<RunningProcess>;
  /** Processes (apps) to stop after the test, however it ends. */
  track(...processes: RunningProcess[]): void;
  /** A fresh folder for a Collector's persistent queue, removed after the test. */
  queueFolder(name: string): string;
}

/**
 * Mocha hooks for a suite of real Collector runs: the tools, and after each test every process it
 * started stopped and every queue folder removed (a failed test leaves nothing running).
 */
export function useCollectorRun(token: string): CollectorRun {
  const tools = useCollectorTools();
  const running: RunningProcess[] = [];
  const folders: string[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((process) => process.stop()));
    for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
  });
  return {
    tools,
    startCollector: async (ports) => {
      const collector = await startCollector(tools().collector, { ...ports, token });
      running.push(collector);
      return collector;
    },
    track: (...processes) => {
      running.push(...processes);
    },
    queueFolder: (name) => {
      const folder = mkdtempSync(join(tmpdir(), `agentsight-${name}-`));
      folders.push(folder);
      return folder;
    },
  };
}

/**
 * The bridge's own CLI as a separate process on a heap of `heapMb`, delivering to `endpoint` with
 * the test key, taking `token`; resolves with the process and its OTLP/HTTP base URL once it listens.
 */
export async function startBridgeProcess(
  heapMb: number,
  endpoint: string,
  token: string,
  env: Record<string, string> = {},
): Promise<{ bridge: RunningProcess; url: string }> {
  const bridge = runNode('dist/cjs/cli.js', ['bridge', '--port', '0'], {
    NODE_OPTIONS: `--max-old-space-size=${heapMb}`,
    AGENTSIGHT_API_KEY: 'ags_1a2b3c4d5e6f7890abcdef1234567890_a1b2c3',
    AGENTSIGHT_API_ENDPOINT: endpoint,
    AGENTSIGHT_BRIDGE_TOKEN: token,
    ...env,
  });
  const url = (await bridge.waitFor(/listening on (http:\/\/\S+)\/v1\/traces/))[1] as string;
  return { bridge, url };
}
