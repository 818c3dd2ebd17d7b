export {
  AgentSightApiError,
  AgentSightClient,
  type AgentSightClientOptions,
  type ApiObject,
  type ConversationFilters,
  type ConversationRef,
  type ConversationUpdate,
  type Sentiment,
} from './agentsight-client';
