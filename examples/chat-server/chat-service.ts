/**
 * The chat service: one decorated method handles one conversation turn, as in the original
 * FastAPI guide's advanced `/chat` endpoint.
 */
import { TrackConversation, trackAction, trackFeedback } from 'agentsight-otel';
import type { Assistant } from './assistant';

/** A file the user sent with the message (a chat widget's upload, base64 in the JSON body). */
export interface ChatImage {
  filename: string;
  mimeType?: string;
  /** Standard base64. */
  data: string;
}

/** One turn as the HTTP layer hands it over. */
export interface ChatTurn {
  message: string;
  conversationId: string;
  customerId?: string;
  image?: ChatImage;
}

/** The reply the HTTP layer sends back. */
export interface ChatReply {
  response: string;
  conversationId: string;
  toolsUsed: boolean;
}

/** The end user's verdict on a conversation, as the HTTP layer hands it over. */
export interface FeedbackTurn {
  conversationId: string;
  sentiment: 'positive' | 'neutral' | 'negative';
  comment?: string;
}

/** The assistant failed to answer; the turn was tracked, with a `chat_error` action. */
export class AssistantFailure extends Error {
  override readonly name = 'AssistantFailure';
}

export class ChatService {
  constructor(private readonly assistant: Assistant) {}

  @TrackConversation({
    name: 'Advanced Chat',
    source: 'api',
    device: 'desktop',
    conversationId: (turn: ChatTurn) => turn.conversationId,
    customerId: (turn: ChatTurn) => turn.customerId,
    metadata: (turn: ChatTurn) => ({ endpoint: '/chat', message_length: turn.message.length }),
    // The upload goes with the user's message: AgentSight gets it linked to that message, the
    // spans only its name, size, type and hash.
    humanMessage: (turn: ChatTurn) => ({
      content: turn.message,
      attachments: turn.image === undefined ? undefined : [{ ...turn.image }],
    }),
    agentMessage: (reply: ChatReply) => reply.response,
  })
  async chat(turn: ChatTurn): Promise<ChatReply> {
    try {
      const answer = await this.assistant.answer(turn.message);
      return { response: answer.text, conversationId: turn.conversationId, toolsUsed: answer.toolCalls > 0 };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      // As the guide does: the failure becomes a `chat_error` action of the conversation.
      try {
        trackAction({ name: 'chat_error', captureArguments: false, metadata: { error_type: errorType(error) } }, () => {
          throw error;
        });
      } catch {
        // Recorded; the caller gets the AssistantFailure below.
      }
      throw new AssistantFailure(`The assistant could not answer: ${reason}`);
    }
  }
}

/**
 * Feedback arrives as a request of its own (a thumbs-up under the answer): a turn of the same
 * conversation that records only the feedback, delivered after the conversation's record.
 */
export class FeedbackService {
  @TrackConversation({ name: 'Advanced Chat', conversationId: (turn: FeedbackTurn) => turn.conversationId })
  record(turn: FeedbackTurn): void {
    trackFeedback({ sentiment: turn.sentiment, comment: turn.comment });
  }
}

function errorType(error: unknown): string {
  return error instanceof Error ? error.constructor.name : typeof error;
}
