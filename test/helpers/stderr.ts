/** What was written to stderr while capturing. */
export interface CapturedStderr {
  readonly lines: string[];
  restore(): void;
}

/** Replaces `process.stderr.write` with a recorder (until `restore()`). */
export function captureStderr(): CapturedStderr {
  const lines: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  return {
    lines,
    restore: () => {
      process.stderr.write = write;
    },
  };
}
