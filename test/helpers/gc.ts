import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * The garbage collector as a function, without `--expose-gc` on mocha's command line: the flag is
 * set at run time and `gc` read from a new context. Memory tests call it before they measure.
 */
export function exposedGc(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return () => {
    gc();
    gc();
  };
}
