import { isGenAiEventName } from '../mapping/genai/genai-events';
import { logsTypes } from './otlp-schema';
import {
  attributes,
  decodeOtlpBody,
  field,
  hexId,
  type Loose,
  list,
  OtlpDecodeError,
  PoisonValue,
  plainValue,
} from './otlp-values';

/** A GenAI event of an OTLP logs request: what the bridge joins to its LLM call span. */
export interface GenAiEventRecord {
  readonly spanId: string;
  readonly name: string;
  readonly body: unknown;
  readonly attributes: Readonly<Record<string, unknown>>;
}

/** The GenAI events of one request, and how many log records of it could not be read. */
export interface DecodedLogs {
  readonly events: GenAiEventRecord[];
  /** Every log record of the request (the answer's counts are about all of them). */
  readonly records: number;
  readonly unreadable: number;
}

/**
 * The GenAI events of an OTLP logs request, in order: records named `gen_ai.*` (by their event
 * name, or the older `event.name` attribute) that carry a span id. Other log records are not
 * AgentSight's business and are accepted unread. A record whose body or attributes nest past the
 * depth limit is counted unreadable, alone.
 */
function eventsOf(request: Loose): DecodedLogs {
  const events: GenAiEventRecord[] = [];
  let records = 0;
  let unreadable = 0;
  for (const resourceLogs of list(field(request, 'resource_logs', 'resourceLogs'))) {
    for (const scopeLogs of list(field(resourceLogs, 'scope_logs', 'scopeLogs'))) {
      for (const record of list(field(scopeLogs, 'log_records', 'logRecords'))) {
        records += 1;
        if (typeof record !== 'object' || record === null || Array.isArray(record)) {
          throw new OtlpDecodeError('the body is not an OTLP logs request: a log record is not an object');
        }
        try {
          const attrs = attributes(record.attributes);
          const eventName = field(record, 'event_name', 'eventName');
          const name = typeof eventName === 'string' && eventName !== '' ? eventName : attrs['event.name'];
          const spanId = hexId(field(record, 'span_id', 'spanId'));
          if (!isGenAiEventName(name) || spanId === '') continue;
          events.push({ spanId, name, body: plainValue(record.body as Loose | undefined, 0), attributes: attrs });
        } catch (error) {
          if (!(error instanceof PoisonValue)) throw error;
          unreadable += 1;
        }
      }
    }
  }
  return { events, records, unreadable };
}

/** Reads an OTLP/HTTP logs body (`application/x-protobuf` or `application/json`). */
export function decodeLogsRequest(body: Buffer, json: boolean): DecodedLogs {
  return decodeOtlpBody(body, json, 'logs', () => logsTypes().request, eventsOf);
}
