/**
 * The decorated methods the decorator benchmark calls. This file is compiled twice: with
 * standard decorators (bench/tsconfig.json) and with legacy ones (bench/tsconfig.legacy.json).
 */
import { TrackAction } from 'agentsight-otel';

/** The work inside every variant. */
export function lookup(sku: string): string {
  return `stock:${sku.length}`;
}

/** A static `toolsUsed` option, as users write it. */
export const TOOLS_USED = { tool: 'inventory-db', version: 3 };
/** A static `metadata` option. */
export const METADATA = { team: 'fulfilment', region: 'eu-west-1' };

/** One decorated method per shape of the benchmark. */
export class Tools {
  @TrackAction('lookup')
  sync(sku: string): string {
    return lookup(sku);
  }

  @TrackAction('lookup')
  async async(sku: string): Promise<string> {
    return lookup(sku);
  }

  @TrackAction({ name: 'lookup', toolsUsed: TOOLS_USED, metadata: METADATA })
  syncWithOptions(sku: string): string {
    return lookup(sku);
  }

  @TrackAction({ name: 'lookup', toolsUsed: TOOLS_USED, metadata: METADATA })
  async asyncWithOptions(sku: string): Promise<string> {
    return lookup(sku);
  }
}
