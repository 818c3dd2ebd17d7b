/**
 * Pinning benchmark processes to CPUs (Linux, `taskset`, two CPUs or more): on a 2-vCPU machine a
 * measured process sharing its CPU with the load generator or the receiver measures their
 * scheduling as much as itself. Elsewhere nothing is pinned and the benches say so.
 */
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';

/** Whether processes can be pinned here. */
export const CAN_PIN: boolean = (() => {
  if (process.platform !== 'linux' || cpus().length < 2) return false;
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Pins this process to `cpu`, when pinning is possible. */
export function pinThisProcess(cpu: number): void {
  if (CAN_PIN) execFileSync('taskset', ['-p', '-c', String(cpu), String(process.pid)], { stdio: 'ignore' });
}

/** The command line that runs `command` on `cpu` (the command itself when it cannot be pinned). */
export function onCpu(command: readonly string[], cpu: number | undefined): string[] {
  return CAN_PIN && cpu !== undefined ? ['taskset', '-c', String(cpu), ...command] : [...command];
}
