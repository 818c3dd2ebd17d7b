/**
 * The HTTP layer (Fastify): `POST /chat` and `GET /health`, with the request body checked by
 * JSON Schema, so a bad body is a 400 that says what is wrong and nothing is tracked.
 */
import { generateConversationId } from 'agentsight-otel';
import Fastify, { type FastifyInstance } from 'fastify';
import { AssistantFailure, type ChatService, FeedbackService } from './chat-service';

/** Largest image accepted, as base64 text: 8 MiB of bytes. */
const MAX_IMAGE_BASE64 = Math.ceil((8 * 1024 * 1024) / 3) * 4;

/** Body of `POST /chat`, as in the guide (plus an optional image). */
interface ChatBody {
  message: string;
  conversation_id?: string;
  customer_id?: string;
  /** An uploaded image: name, type and standard base64 bytes. */
  image?: { filename: string; mime_type?: string; data: string };
}

const chatBodySchema = {
  type: 'object',
  required: ['message'],
  additionalProperties: false,
  properties: {
    message: { type: 'string', minLength: 1, maxLength: 4000, pattern: '\\S' },
    conversation_id: { type: 'string', minLength: 1, maxLength: 255, pattern: '^\\S+$' },
    customer_id: { type: 'string', minLength: 1, maxLength: 255 },
    image: {
      type: 'object',
      required: ['filename', 'data'],
      additionalProperties: false,
      properties: {
        filename: { type: 'string', minLength: 1, maxLength: 255 },
        mime_type: { type: 'string', pattern: '^image/[\\w.+-]+$' },
        data: { type: 'string', maxLength: MAX_IMAGE_BASE64, pattern: '^[A-Za-z0-9+/]*={0,2}$' },
      },
    },
  },
} as const;

const chatReplySchema = {
  type: 'object',
  properties: {
    response: { type: 'string' },
    conversation_id: { type: 'string' },
    tools_used: { type: 'boolean' },
  },
} as const;

/** Body of `POST /feedback`. */
interface FeedbackBody {
  conversation_id: string;
  sentiment: 'positive' | 'neutral' | 'negative';
  comment?: string;
}

const feedbackBodySchema = {
  type: 'object',
  required: ['conversation_id', 'sentiment'],
  additionalProperties: false,
  properties: {
    conversation_id: { type: 'string', minLength: 1, maxLength: 255, pattern: '^\\S+$' },
    sentiment: { type: 'string', enum: ['positive', 'neutral', 'negative'] },
    comment: { type: 'string', maxLength: 5000 },
  },
} as const;

/** Name reported by `/health`. */
export const SERVICE_NAME = 'agentsight-chat-server';

/** Builds the app (not listening yet). */
export function buildServer(chat: ChatService): FastifyInstance {
  // Strict bodies: Fastify's defaults would silently drop unknown fields and turn 42 into "42".
  const app = Fastify({
    logger: false,
    // Room for an image in the body (base64), beside the message.
    bodyLimit: MAX_IMAGE_BASE64 + 64 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
  });

  app.get('/health', async () => ({ status: 'healthy', service: SERVICE_NAME }));

  app.post<{ Body: ChatBody }>(
    '/chat',
    { schema: { body: chatBodySchema, response: { 200: chatReplySchema } } },
    async (request) => {
      const { message, conversation_id, customer_id, image } = request.body;
      const reply = await chat.chat({
        message,
        conversationId: conversation_id ?? generateConversationId(),
        customerId: customer_id,
        image: image && { filename: image.filename, mimeType: image.mime_type, data: image.data },
      });
      return { response: reply.response, conversation_id: reply.conversationId, tools_used: reply.toolsUsed };
    },
  );

  const feedback = new FeedbackService();
  app.post<{ Body: FeedbackBody }>('/feedback', { schema: { body: feedbackBodySchema } }, async (request) => {
    const { conversation_id, sentiment, comment } = request.body;
    feedback.record({ conversationId: conversation_id, sentiment, comment });
    return { status: 'recorded', conversation_id };
  });

  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof AssistantFailure) {
      return reply.status(500).send({ error: 'Internal Server Error', message: error.message });
    }
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    const message = error instanceof Error ? error.message : String(error);
    return reply.status(status).send({ error: status < 500 ? 'Bad Request' : 'Internal Server Error', message });
  });
  return app;
}
