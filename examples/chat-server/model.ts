/** Which model the assistant talks to: OpenAI when OPENAI_API_KEY is set, else the offline scripted model. */
import type { ModelSettings } from './assistant';
import { startScriptedModel } from './scripted-model';

/** The chosen model, a line that says which it is, and how to stop it. */
export interface ChosenModel {
  readonly settings: ModelSettings;
  readonly label: string;
  close(): Promise<void>;
}

export async function chooseModel(): Promise<ChosenModel> {
  const model = process.env.OPENAI_MODEL ?? 'gpt-4o-mini';
  const apiKey = process.env.OPENAI_API_KEY;
  if (apiKey) {
    return { settings: { model, apiKey }, label: `OpenAI ${model}`, close: async () => undefined };
  }
  const scripted = await startScriptedModel();
  return {
    settings: { model: 'scripted-offline-model', apiKey: 'offline', baseURL: scripted.baseURL },
    label: `offline scripted model at ${scripted.baseURL} (set OPENAI_API_KEY to use OpenAI)`,
    close: () => scripted.close(),
  };
}
