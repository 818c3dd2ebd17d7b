/**
 * The delivery thread's code as one self-contained string, so that it survives application
 * bundlers. This placeholder is replaced by `scripts/build-worker.mjs` in every build; undefined
 * means a build without that step, and the thread then starts from `delivery-worker.js`.
 */
export const DELIVERY_WORKER_SOURCE: string | undefined = undefined;
