import type { Tx } from '../db/connection.js';
import type { KeyRing } from '../crypto/keys.js';
import type { StoredEvent } from './chain.js';
import { Listeners } from '../listeners.js';

/**
 * What other modules hear about governance events. Every state change writes one, so this is
 * the one place to react to "a user's archetype changed" or "an entitlement set changed" however
 * the change was made (CSV import, SCIM sync, an admin override, a pack). Listeners run inside
 * the writer's transaction, right after the event is stored: what they write commits or rolls
 * back with it. They must be quick, must not append events themselves, and should return at
 * once for types they do not handle.
 */
export type EventListener = (trx: Tx, event: StoredEvent, keys: KeyRing) => Promise<void>;

const listeners = new Listeners<Parameters<EventListener>>();

/** Subscribes at module load; returns an unsubscribe function. */
export const onEventAppended = (listener: EventListener): (() => void) => listeners.add(listener);

export const emitEventAppended = (trx: Tx, event: StoredEvent, keys: KeyRing): Promise<void> => listeners.emit(trx, event, keys);
