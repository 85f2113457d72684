import type { Platform, PlatformAdapter } from '../adapter.js';
import { chatgpt } from './chatgpt.js';
import { claude } from './claude.js';
import { copilot } from './copilot.js';
import { slack } from './slack.js';

const adapters: Record<Platform, PlatformAdapter> = { claude, copilot, chatgpt, slack };

export function adapterFor(platform: string): PlatformAdapter {
  const a = adapters[platform as Platform];
  if (!a) throw new Error(`no adapter for platform ${platform}`);
  return a;
}
