/**
 * The guide's chat endpoint as a NestJS controller: `POST /chat` answers with the assistant (an
 * LLM with a calculator tool), `POST /feedback` records the user's verdict. Our decorators sit
 * with Nest's: the turn's conversation comes from the body, the guard and the pipe run as Nest
 * runs them (a pipe gives a new conversation its id before the turn is tracked), and the assistant
 * is injected.
 */
import { Body, Controller, HttpCode, Inject, Injectable, Post, UseGuards } from '@nestjs/common';
import { generateConversationId, TrackConversation, trackFeedback } from 'agentsight-otel';
import type { Assistant } from '#examples/chat-server/assistant';

/** What `POST /chat` takes. */
export interface ChatRequest {
  message: string;
  conversation_id?: string;
}

/** What `POST /chat` answers. */
export interface ChatResponse {
  response: string;
  conversation_id: string;
}

/** What `POST /feedback` takes. */
export interface FeedbackRequest {
  conversation_id: string;
  sentiment: 'positive' | 'neutral' | 'negative';
  comment?: string;
}

/** Where the assistant is injected from. */
export const ASSISTANT = Symbol('assistant');

/** Gives a request without a conversation id a new one, before the turn is tracked. */
@Injectable()
export class WithConversationId {
  transform(request: ChatRequest): ChatRequest & { conversation_id: string } {
    return { ...request, conversation_id: request.conversation_id ?? generateConversationId() };
  }
}

/** Takes only JSON bodies with a message (Nest answers 403 otherwise): a guard, as apps have them. */
@Injectable()
export class MessageGuard {
  canActivate(context: { switchToHttp(): { getRequest(): { body?: { message?: unknown } } } }): boolean {
    const message = context.switchToHttp().getRequest().body?.message;
    return typeof message === 'string' && message.trim() !== '';
  }
}

@Controller()
export class ChatController {
  constructor(@Inject(ASSISTANT) private readonly assistant: Assistant) {}

  @Post('chat')
  @HttpCode(200)
  @UseGuards(MessageGuard)
  @TrackConversation({
    name: 'NestJS Chat',
    source: 'api',
    conversationId: (request: ChatRequest) => request.conversation_id,
    humanMessage: (request: ChatRequest) => request.message,
    agentMessage: (response: ChatResponse) => response.response,
  })
  async chat(@Body(WithConversationId) request: ChatRequest & { conversation_id: string }): Promise<ChatResponse> {
    const answer = await this.assistant.answer(request.message);
    return { response: answer.text, conversation_id: request.conversation_id };
  }

  @Post('feedback')
  @HttpCode(204)
  @TrackConversation({ name: 'NestJS Chat', conversationId: (request: FeedbackRequest) => request.conversation_id })
  feedback(@Body() request: FeedbackRequest): void {
    trackFeedback({ sentiment: request.sentiment, comment: request.comment });
  }
}
