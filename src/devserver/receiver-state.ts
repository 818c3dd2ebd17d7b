import type { FileSpool } from './file-spool';
import type { DevServerOptions } from './options';
import type { DevStore } from './store';

/** What the route modules share: the store, the file spool, the options, and where we listen. */
export interface ReceiverState {
  readonly store: DevStore;
  readonly spool: FileSpool;
  readonly options: DevServerOptions;
  /** Largest JSON body taken. */
  readonly maxBodyBytes: number;
  /** This server's own base URL, with its port (known once it listens): file links use it. */
  baseUrl: string;
}
