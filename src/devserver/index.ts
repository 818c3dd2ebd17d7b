/**
 * A local AgentSight API receiver: speaks the tracking contract strictly, stores what it accepts,
 * shows transcripts, and injects faults on demand. For tests, demos, and seeing what would be sent.
 *
 * @packageDocumentation
 */
export { ALLOWED, API_KEY_PATTERN, type FieldErrors, type JsonObject } from './contract';
export type { Fault } from './faults';
export { FaultScript } from './faults';
export { type DevServer, type DevServerOptions, type SeenRequest, startDevServer } from './server';
export { DevStore, type RecordKind, type StoredConversation, type StoredFile, type StoredRecord } from './store';
export { clockTime, conversationHeading, renderTranscript, type TranscriptLine, transcriptLines } from './transcript';
