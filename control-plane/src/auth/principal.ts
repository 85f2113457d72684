import type { Role } from '../rbac/roles.js';

export type Principal =
  | { kind: 'operator' }
  | {
      kind: 'tenant';
      tenantId: string;
      subjectType: 'service_account' | 'user';
      subjectId: string;
      /** Shown as the actor of governance events. */
      actor: string;
      jti: string;
      /** Service accounts act as tenant_admin; a user's role is derived from their groups on every call. */
      role: Role;
    };

export function actorOf(p: Principal): string {
  return p.kind === 'operator' ? 'operator' : p.actor;
}
