export { AgentSightClient } from './agentsight-client';
export {
  AgentSightApiError,
  type AgentSightClientOptions,
  type ApiObject,
  type ConversationFilters,
  type ConversationRef,
  type ConversationUpdate,
  type Sentiment,
} from './client-types';
