export { AgentSightClient } from './agentsight-client';
export {
  AgentSightApiError,
  type AgentSightClientOptions,
  type ApiObject,
  type ConversationFilters,
  type ConversationLookup,
  type ConversationRef,
  type ConversationUpdate,
  type Sentiment,
} from './client-types';
