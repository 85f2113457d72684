import type { Facts } from './facts.js';

export interface Step {
  step: number;
  name: string;
  done: boolean;
}

/**
 * The ten runbook steps, derived from the same facts as the health checks: progress is never
 * stored, so it cannot disagree with what the checks see.
 */
export function onboardingSteps(f: Facts): { completed: number; steps: Step[] } {
  const connected = (f.connectors ?? []).some((c) => c.status === 'connected');
  const later = [
    !!f.sso && f.sso.tested > 0,
    !!f.scim && f.scim.directories > 0 && f.scim.users > 0,
    connected,
    !!f.hub && f.hub.present && f.hub.status === 'ready',
    f.roster.users > 0,
    f.entitlements.archetypes.length > 0,
    f.events.live,
  ];
  const steps: Step[] = [
    { step: 1, name: 'Tenant created', done: true },
    { step: 2, name: 'Service account signed in', done: f.events.login },
    // Confirming the details is a read; going on to any later step shows it was done.
    { step: 3, name: 'Tenant details confirmed', done: f.events.config_changed || later.some(Boolean) },
    { step: 4, name: 'SSO configured and tested', done: later[0]! },
    { step: 5, name: 'SCIM provisioning syncing users', done: later[1]! },
    { step: 6, name: 'LLM platform connected', done: later[2]! },
    { step: 7, name: 'Hub provisioned', done: later[3]! },
    { step: 8, name: 'Roster mapped to archetypes', done: later[4]! },
    { step: 9, name: 'Skill entitlements set', done: later[5]! },
    { step: 10, name: 'Smoke test passed, tenant live', done: later[6]! },
  ];
  return { completed: steps.filter((s) => s.done).length, steps };
}
