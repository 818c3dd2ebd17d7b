#!/usr/bin/env node
/** `npx agentsight-otel <command>`: the local receiver, or the bridge. */
import { bridgeCommand } from './bridge/cli';
import { devServerCommand } from './devserver/cli';

const COMMANDS = `agentsight-otel <command>

Commands:
  dev-server   run a local AgentSight API receiver (see: agentsight-otel dev-server --help)
  bridge       receive OTLP traces (from a Collector) and send them to AgentSight (see: bridge --help)
`;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === 'dev-server') return devServerCommand(rest);
  if (command === 'bridge') return bridgeCommand(rest);
  process.stdout.write(COMMANDS);
  if (command !== undefined && command !== '--help' && command !== '-h') process.exitCode = 2;
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`agentsight-otel: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
