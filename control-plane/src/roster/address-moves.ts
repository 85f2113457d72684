import type { TenantScope } from '../db/tenant-scope.js';
import { scimEmail } from './email.js';
import { ADDRESS_SQL, holdersOf } from './holders.js';

/**
 * A SCIM user whose address changed (a new work email, or a new userName when that is the
 * address) is still the same person: their member moves to the new address, keeping its id and
 * an admin's override, instead of the sync leaving the old address active and starting a new
 * member beside it. The member stays where it is when the old address is still held by another
 * SCIM user (it follows that one), or when the new address already has a member of its own
 * (that one is updated; the old one, held by nobody, leaves the active roster at the end of the
 * sync). Only members the SCIM sync wrote are moved: a CSV row names its address itself.
 */

export interface Move {
  id: string;
  scim_user_id: string;
  from: string;
  to: string;
}

export async function followAddressChanges(scope: TenantScope): Promise<Move[]> {
  const drifted = (await scope
    .table('roster_members as r')
    .join('scim_users as u', function () {
      this.on('u.id', '=', 'r.scim_user_id').andOn('u.tenant_id', '=', 'r.tenant_id');
    })
    .where('r.source', 'scim')
    .whereRaw(`r.email <> ${ADDRESS_SQL('u')}`)
    .orderBy('r.id')
    .select('r.id', 'r.email', 'u.id as user_id', 'u.email as user_email', 'u.user_name')) as Array<{ id: string; email: string; user_id: string; user_email: string | null; user_name: string }>;
  const moves: Move[] = [];
  for (const r of drifted) {
    const to = scimEmail(r.user_email, r.user_name);
    if (!to || to === r.email) continue;
    if ((await holdersOf(scope, r.email)).length) continue;
    if (await scope.table('roster_members').where('email', to).first('id')) continue;
    await scope.table('roster_members').where('id', r.id).update({ email: to, updated_at: new Date() });
    moves.push({ id: r.id, scim_user_id: r.user_id, from: r.email, to });
  }
  return moves;
}
