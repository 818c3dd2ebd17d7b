import { readlinkSync, stat } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/**
 * How far below the application the delivery thread runs, in nice steps. At +10 the kernel gives
 * it about a tenth of a CPU the application also wants (weights 110 against 1024), so a busy
 * server keeps its CPU and delivery still moves: several hundred turns a second at ~100 µs per
 * request. On an idle CPU the thread runs at full speed as before.
 */
export const DELIVERY_THREAD_NICE_STEPS = 10;

/** The highest nice value Linux knows. */
const LOWEST_PRIORITY = 19;

/**
 * Lowers the calling thread's scheduling priority on Linux, where nice values are per thread:
 * `/proc/thread-self` names this thread's id, and `setpriority` on a thread id changes that
 * thread alone. Elsewhere (no per-thread nice, or no `/proc`) it does nothing. Never raises a
 * priority (a process already niced past 9 ends at 19, not above the application), never throws.
 *
 * @returns the thread's nice value after the change, or undefined when nothing was changed.
 */
export function lowerThisThreadsPriority(steps = DELIVERY_THREAD_NICE_STEPS): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    // "<pid>/task/<tid>": the last part is the thread's id.
    const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(threadId) || threadId <= 0) return undefined;
    const current = getPriority(threadId);
    const lowered = Math.min(LOWEST_PRIORITY, current + steps);
    if (lowered <= current) return undefined;
    setPriority(threadId, lowered);
    return lowered;
  } catch {
    // A container without /proc, or a seccomp profile that refuses setpriority: delivery runs as before.
    return undefined;
  }
}

/**
 * Makes sure libuv's thread pool exists before the delivery thread lowers its priority. Linux
 * threads inherit their creator's nice value, and the pool's threads (fs, dns.lookup, crypto,
 * zlib: the application's too) are created by whichever thread first queues work on it: when that
 * was the delivery thread, resolving the API's host name, the whole pool ran at nice +10 for the
 * life of the process (issue 30: the app's pbkdf2 under contention 892–1,357 ms against 260). One
 * asynchronous `stat` from the application's thread creates the pool at the application's
 * priority; libuv creates it once, so later calls cost one pool round trip and nothing else.
 */
export function startThreadPoolAtApplicationPriority(): void {
  if (process.platform !== 'linux') return;
  try {
    stat('/', () => undefined);
  } catch {
    // Never the application's problem: at worst the pool is created later, by someone else.
  }
}
