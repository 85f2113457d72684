import type { Tx } from '../db/connection.js';
import type { KeyRing } from '../crypto/keys.js';
import { Listeners } from '../listeners.js';

/**
 * What other modules hear about SCIM writes. Listeners run INSIDE the SCIM write transaction,
 * after the change is stored and before its governance event is appended: whatever they write
 * (revoking sessions of a de-provisioned user, re-deriving roles from `claresia-*` group
 * membership, their own governance events through `appendEvent(trx, keys, tenantId, ...)`)
 * commits or rolls back with the change. A listener that throws fails the IdP's request, which
 * the IdP retries, so listeners must be idempotent and quick.
 *
 *   import { onScimChange } from '../scim/hooks.js';
 *   onScimChange(async (trx, change, keys) => {
 *     if (change.kind === 'user' && change.op === 'deprovisioned') ... revoke sessions of change.userIds
 *   });
 *
 * Users are rows of `scim_users` (id, tenant_id, directory_id, user_name, active, email, title,
 * department, manager_id, ...); groups of `scim_groups` (display_name), members of
 * `scim_group_members` (group_id, user_id). A user deleted through SCIM keeps its row, inactive,
 * with `deleted_at` set and no group: gone for SCIM, de-provisioned for everyone else. A new user
 * of the same userName (and email) may follow it in the same directory.
 */
export interface ScimChange {
  tenantId: string;
  directoryId: string;
  /** okta, entra, ... (the actor of the events is `<idp>:scim`). */
  idp: string;
  kind: 'user' | 'group';
  /**
   * user: created, updated, deprovisioned (active true to false, or DELETE), reactivated.
   * group: created, updated (name or members), deleted. directory: every user and group of a
   * removed directory is reported as deprovisioned / deleted first.
   */
  op: 'created' | 'updated' | 'deprovisioned' | 'reactivated' | 'deleted';
  /** The users concerned: the user itself, or for a group every member added or removed. */
  userIds: string[];
  groupId?: string;
  /** Group membership changes (group ops only). */
  addedUserIds?: string[];
  removedUserIds?: string[];
  /** The group's displayName (group ops only); `claresia-*` groups are RBAC groups. */
  groupName?: string;
  /** The displayName before this change, when the change renamed the group. */
  previousGroupName?: string;
}

export type ScimListener = (trx: Tx, change: ScimChange, keys: KeyRing) => Promise<void>;

const listeners = new Listeners<Parameters<ScimListener>>();

/** Subscribes to SCIM changes; returns an unsubscribe function. Register once, at module load. */
export const onScimChange = (listener: ScimListener): (() => void) => listeners.add(listener);

export const emitScimChange = (trx: Tx, change: ScimChange, keys: KeyRing): Promise<void> => listeners.emit(trx, change, keys);
