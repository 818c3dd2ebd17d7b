import { createRequire } from 'node:module';
import type * as Protobuf from 'protobufjs';

/**
 * Loads protobufjs, an optional peer dependency: only the bridge decodes OTLP protobuf, so an
 * application that only exports spans does not install it (4 MB, nested, since OpenTelemetry's
 * exporters bring another major). Where the bridge runs: `npm install protobufjs`.
 */
export function loadProtobuf(): typeof Protobuf {
  try {
    return createRequire(__filename)('protobufjs') as typeof Protobuf;
  } catch {
    throw new Error('the bridge needs protobufjs to read OTLP: npm install protobufjs (7.2 or later)');
  }
}
