export type { Attachment } from '../attachments';
export { TrackAction, trackAction } from './action';
export { TrackConversation, trackConversation } from './conversation';
export { generateConversationId } from './conversation-id';
export {
  type AgentSightSettings,
  configureAgentSight,
  MASK_FAILED,
  type Mask,
  type MaskField,
  maskPersonalData,
} from './masking';
export type { DualModeMethodDecorator } from './method-decorator';
export type {
  AgentReply,
  ButtonClick,
  ConversationDevice,
  ConversationEnvironment,
  ConversationFields,
  Feedback,
  MessageInput,
  Metadata,
  TokenUsage,
  TrackActionCallOptions,
  TrackActionOptions,
  TrackConversationCallOptions,
  TrackConversationOptions,
  ValueOrFactory,
} from './options';
export { ConversationId, CustomerId, HumanMessage } from './parameters';
export {
  type AttachmentsOptions,
  initializeConversation,
  trackAgentMessage,
  trackAttachments,
  trackButton,
  trackFeedback,
  trackHumanMessage,
  trackTokenUsage,
} from './records';
export { DEFAULT_MAX_VALUE_LENGTH } from './serialize';
