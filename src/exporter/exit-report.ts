import { writeSync } from 'node:fs';

/** Something that may still hold AgentSight work when the process exits. */
export interface ExitWatched {
  /** Items queued or on the wire, and spans gathered but not yet handed to delivery. */
  unsent(): { items: number; spans: number };
  /** Counts what the exit loses (as `process_exit`). */
  countExit(items: number, spans: number): void;
}

const watched = new Set<ExitWatched>();
let listening = false;

/**
 * Says, in one synchronous line on stderr, what a process that exits without `shutdown()` leaves
 * undelivered, and counts it. Without this an app that returned from `main` during an outage
 * lost thousands of items with every counter at 0 and nothing said. A `kill -9` cannot be seen
 * from inside: the README says what it loses and that the Collector path is the durable one.
 */
function reportAtExit(): void {
  let items = 0;
  let spans = 0;
  for (const source of watched) {
    const unsent = source.unsent();
    if (unsent.items + unsent.spans === 0) continue;
    source.countExit(unsent.items, unsent.spans);
    items += unsent.items;
    spans += unsent.spans;
  }
  if (items + spans === 0) return;
  const what = [
    items > 0 ? `${items} AgentSight item(s) still queued` : undefined,
    spans > 0 ? `${spans} span(s) not yet handed to delivery` : undefined,
  ].filter(Boolean);
  const line =
    `agentsight-otel: the process is exiting with ${what.join(' and ')}; they are lost (counted as process_exit). ` +
    "Await sdk.shutdown() (or the processor's shutdown()) before the process ends to deliver them; for data that " +
    'must survive a crash or a kill, send through an OpenTelemetry Collector with a persistent queue.\n';
  try {
    // Synchronous: nothing asynchronous runs once 'exit' is emitted.
    writeSync(2, line);
  } catch {
    // stderr closed: nothing more can be said.
  }
}

/** Watches `source` until the returned function is called (at its shutdown). */
export function watchExit(source: ExitWatched): () => void {
  if (!listening) {
    listening = true;
    process.on('exit', reportAtExit);
  }
  watched.add(source);
  return () => watched.delete(source);
}
