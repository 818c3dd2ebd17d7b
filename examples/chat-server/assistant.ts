/**
 * The LLM layer: a LlamaIndex.TS tool-calling agent loop (`llm.exec`) with the calculator as its
 * one function tool, on the OpenAI client (OpenAI itself, or the offline scripted model at a
 * loopback baseURL).
 *
 * Why `llm.exec` and not `@llamaindex/workflow`'s `agent().run()`: in @llamaindex/workflow 1.1
 * a failing LLM call inside `run()` neither rejects nor resolves; it leaves an unhandled rejection
 * (which ends a Node process) and a promise that never settles. A chat server must answer 500.
 */
import type { ChatMessage } from '@llamaindex/core/llms';
import { tool } from '@llamaindex/core/tools';
import { openai } from '@llamaindex/openai';
import { TrackAction } from 'agentsight-otel';
import OpenAI from 'openai';
import { z } from 'zod';
import { evaluateArithmetic, formatNumber } from './calculator';

/** Where the model is. */
export interface ModelSettings {
  model: string;
  apiKey: string;
  /** Unset for OpenAI itself; the scripted model's URL when offline. */
  baseURL?: string;
}

/** What the agent answered, and how many times it used its tool doing so. */
export interface AssistantAnswer {
  text: string;
  toolCalls: number;
}

/** Answers one user message. */
export interface Assistant {
  answer(message: string): Promise<AssistantAnswer>;
}

/** The calculator tool: each call is an AgentSight action, and a bad expression its error_msg. */
export class Calculator {
  @TrackAction({ name: 'calculator', toolsUsed: { tool: 'calculator' } })
  calculate(expression: string): string {
    return formatNumber(evaluateArithmetic(expression));
  }
}

/** Most LLM calls for one answer: a model that keeps calling tools is stopped. */
const MAX_STEPS = 5;

const SYSTEM_PROMPT =
  'You are a helpful assistant. Use the calculator tool for any arithmetic, and answer with its result.';

/** A LlamaIndex agent with the calculator, on the given model. */
export function createAssistant(settings: ModelSettings, calculator = new Calculator()): Assistant {
  const llm = openai({
    model: settings.model,
    // Our own client, from `require('openai')`: LlamaIndex would otherwise `import()` the ES
    // module build, which the OpenAI instrumentation (hooking `require`) cannot see.
    session: new OpenAI({ apiKey: settings.apiKey, baseURL: settings.baseURL, maxRetries: 2, timeout: 60_000 }),
  });
  return {
    async answer(message) {
      // Counted per answer, so `tools_used` says whether the tool really ran for this request.
      let toolCalls = 0;
      const calculatorTool = tool({
        name: 'calculator',
        description: 'Evaluates an arithmetic expression with + - * / % ^ and parentheses, such as "127 * 8".',
        parameters: z.object({ expression: z.string().describe('The arithmetic expression to evaluate') }),
        execute: ({ expression }) => {
          toolCalls += 1;
          try {
            return calculator.calculate(expression);
          } catch (error) {
            // The action recorded the failure; the model gets the reason and tells the user.
            return `Error: ${(error as Error).message}`;
          }
        },
      });
      const messages: ChatMessage[] = [
        { role: 'system', content: SYSTEM_PROMPT },
        { role: 'user', content: message },
      ];
      // The agent loop: ask, run the tools it calls, hand back their results, until it answers.
      for (let step = 0; step < MAX_STEPS; step++) {
        const { newMessages, toolCalls: called } = await llm.exec({ messages, tools: [calculatorTool] });
        messages.push(...newMessages);
        if (called.length === 0) break;
      }
      const reply = messages.at(-1);
      const text = reply?.role === 'assistant' && typeof reply.content === 'string' ? reply.content : '';
      if (!text) throw new Error(`no answer after ${MAX_STEPS} steps`);
      return { text, toolCalls };
    },
  };
}
