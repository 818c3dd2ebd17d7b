// Removes build output folders, so that a deleted source file cannot survive as stale output.
import { rmSync } from 'node:fs';

for (const dir of process.argv.slice(2)) rmSync(dir, { recursive: true, force: true });
