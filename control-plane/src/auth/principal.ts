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
    };

export function actorOf(p: Principal): string {
  return p.kind === 'operator' ? 'operator' : p.actor;
}
