#!/usr/bin/env node
/** `npx agentsight-otel <command>`: the local receiver, or the bridge. */
import { bridgeCommand } from './bridge/cli';
import { devServerCommand } from './devserver/cli';
import { AGENTSIGHT_OTEL_VERSION } from './version';

const COMMANDS = `agentsight-otel <command>

Commands:
  dev-server   run a local AgentSight API receiver (see: agentsight-otel dev-server --help)
  bridge       receive OTLP traces (from a Collector) and send them to AgentSight (see: bridge --help)

Options:
  -v, --version   print the version
  -h, --help      show this help
`;

/** Library words in a configuration error, as a command-line user reads them. */
function forTheCommandLine(message: string): string {
  return message
    .replace('pass { apiKey } or set the variable', 'set it in the environment')
    .replace('the API key goes in { apiKey }', 'the key goes in AGENTSIGHT_API_KEY')
    .replace('The endpoint option', 'AGENTSIGHT_API_ENDPOINT')
    .replace('The environment option', 'AGENTSIGHT_ENVIRONMENT');
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === 'dev-server') return devServerCommand(rest);
  if (command === 'bridge') return bridgeCommand(rest);
  if (command === '--version' || command === '-v') {
    process.stdout.write(`agentsight-otel ${AGENTSIGHT_OTEL_VERSION}\n`);
    return;
  }
  if (command === undefined || command === '--help' || command === '-h') {
    process.stdout.write(COMMANDS);
    return;
  }
  process.stderr.write(`agentsight-otel: unknown command "${command.slice(0, 40)}"\n\n${COMMANDS}`);
  process.exitCode = 2;
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  // parseArgs takes "--latency -5" for two options; say what to write instead.
  const code = (error as { code?: string }).code;
  const hint = code?.startsWith('ERR_PARSE_ARGS') ? ' (a value that starts with "-" is written --option=value)' : '';
  process.stderr.write(`agentsight-otel: ${forTheCommandLine(message)}${hint}\n`);
  process.exitCode = code?.startsWith('ERR_PARSE_ARGS') ? 2 : 1;
});
