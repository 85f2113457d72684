import type { AppContext } from '../context.js';
import type { Job } from './queue.js';
import type { JobSettings } from './settings.js';

/** Thrown by a handler that wants its job retried after a delay of its own choosing. */
export class RetryLater extends Error {
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
  }
}

export interface JobDefinition<P = any> {
  queue: string;
  /**
   * Does the work. Must be idempotent: a job can run again after its effect if the worker dies
   * before deleting it. Throwing retries it (RetryLater: after the delay given; anything else:
   * after `retryDelayMs`).
   */
  handle(app: AppContext, job: Job<P>, settings: JobSettings): Promise<void>;
  retryDelayMs(attempt: number, settings: JobSettings): number;
  /**
   * Called once when the job runs out of attempts, to record the failure where it belongs (and,
   * for work that must happen eventually, to queue what tries again later).
   */
  onDead?(app: AppContext, job: Job<P>, error: string, settings: JobSettings): Promise<void>;
  /**
   * Runs for an offboarded tenant too. Every other job of such a tenant is dropped; a job that
   * undoes what the tenant left behind (its grants on the LLM platforms) must still run.
   */
  runsAfterOffboarding?: boolean;
}

const definitions = new Map<string, JobDefinition>();

/** Declares a queue and its handler; called at module load, so every replica knows every queue. */
export function defineJob<P>(def: JobDefinition<P>): JobDefinition<P> {
  if (definitions.has(def.queue)) throw new Error(`job queue ${def.queue} is defined twice`);
  definitions.set(def.queue, def as JobDefinition);
  return def;
}

export function jobDefinition(queue: string): JobDefinition | undefined {
  return definitions.get(queue);
}

export function queueNames(): string[] {
  return [...definitions.keys()];
}
