import type { TenantScope } from '../db/tenant-scope.js';
import { scimEmail } from './email.js';
import { ADDRESS_SQL, directoryIds, holdersOf } from './holders.js';

/**
 * A SCIM user whose address changed (a new work email, or a new userName when that is the
 * address) is still the same person: their member moves to the new address, keeping its id and
 * an admin's override, instead of the sync leaving the old address active and starting a new
 * member beside it. The member stays where it is when the old address is still held by another
 * SCIM user (it follows that one), or when the new address already has a member of its own
 * (that one is updated; the old one, held by nobody, leaves the active roster at the end of the
 * sync). Only members the SCIM sync wrote are moved: a CSV row names its address itself.
 *
 * The sync moves every such member; de-provisioning and re-activation move the user's own
 * first, so the member they turn off or on is the one at the user's current address.
 */

export interface Move {
  id: string;
  scim_user_id: string;
  from: string;
  to: string;
}

/** Moves the member of every SCIM user of the tenant whose address changed. */
export async function followAddressChanges(scope: TenantScope): Promise<Move[]> {
  const rows = (await scope
    .table('roster_members as r')
    .join('scim_users as u', function () {
      this.on('u.id', '=', 'r.scim_user_id').andOn('u.tenant_id', '=', 'r.tenant_id');
    })
    .where('r.source', 'scim')
    // In SQL terms only; scimEmail decides below.
    .whereRaw(`r.email <> ${ADDRESS_SQL('u')}`)
    .orderBy('r.id')
    .select('r.id', 'r.email', 'r.source', 'u.id as user_id', 'u.email as user_email', 'u.user_name')) as Array<MemberAt & { user_id: string; user_email: string | null; user_name: string }>;
  const moves: Move[] = [];
  const directories = rows.length ? await directoryIds(scope) : [];
  for (const r of rows) {
    const to = scimEmail(r.user_email, r.user_name);
    const move = to ? await followAddressChange(scope, r, r.user_id, to, directories) : null;
    if (move) moves.push(move);
  }
  return moves;
}

export interface MemberAt {
  id: string;
  email: string;
  source: string;
}

/** Moves one member of SCIM user `userId` to the user's address `to`, when it may (see above). */
export async function followAddressChange(scope: TenantScope, m: MemberAt, userId: string, to: string, directories: readonly string[]): Promise<Move | null> {
  if (m.source !== 'scim' || to === m.email) return null;
  // Held as a work email only: a login, the user's own or another's, is no reason to stay (holdsAs).
  if ((await holdersOf(scope, m.email, { directories, except: new Set([userId]) })).length) return null;
  if (await scope.table('roster_members').where('email', to).first('id')) return null;
  await scope.table('roster_members').where('id', m.id).update({ email: to, updated_at: new Date() });
  return { id: m.id, scim_user_id: userId, from: m.email, to };
}
