/**
 * `npm run bench`: every benchmark, side by side, as ratios. Pass names to run a subset
 * (`npm run bench -- decorators`).
 */
import { benchDecorators } from './decorators.bench';

const benches: Record<string, () => Promise<unknown>> = {
  decorators: benchDecorators,
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
  for (const [name, run] of Object.entries(benches)) {
    if (wanted.length === 0 || wanted.includes(name)) await run();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
