import type { DataSourceDef } from '../types.js';

export const tenantHealth: DataSourceDef = {
  name: 'tenant_health',
  title: 'TenantHealth',
  description:
    'The seven Command Center checks (identity, distribution, hub, roster, skills, telemetry, audit), each green or red with ' +
    'the reason and what to do, the overall verdict, and onboarding progress through the ten runbook steps derived from the same facts.',
  auth: 'tenant',
  api: { read: { method: 'GET', path: '/api/v1/observability/tenant-health' } },
  attributes: {
    overall: { type: 'string', mode: 'computed', enum: ['green', 'red'], description: 'green when every check is green.' },
    checks: {
      type: {
        list: {
          object: {
            name: { type: 'string', mode: 'computed', description: 'identity, distribution, hub, roster, skills, telemetry or audit.' },
            status: { type: 'string', mode: 'computed', enum: ['green', 'red'], description: 'green or red.' },
            reason: { type: 'string', mode: 'computed', description: 'Why, in facts.' },
            action: { type: 'string', mode: 'computed', description: 'What to do to turn it green; null when green.' },
          },
        },
      },
      mode: 'computed',
      description: 'The checks, always in the same order.',
    },
    onboarding: {
      type: {
        object: {
          completed: { type: 'integer', mode: 'computed', description: 'Steps done, out of ten.' },
          steps: {
            type: {
              list: {
                object: {
                  step: { type: 'integer', mode: 'computed', description: 'Runbook step number, 1 to 10.' },
                  name: { type: 'string', mode: 'computed', description: 'What the step is.' },
                  done: { type: 'boolean', mode: 'computed', description: 'Whether the facts show it done.' },
                },
              },
            },
            mode: 'computed',
            description: 'The ten runbook steps.',
          },
        },
      },
      mode: 'computed',
      description: 'Onboarding progress, derived from the same facts as the checks.',
    },
    checked_at: { type: 'string', mode: 'computed', format: 'date-time', description: 'When the facts were read.' },
  },
  terraformExample: `data "claresia_tenant_health" "acme" {}

output "tenant_healthy" {
  value = data.claresia_tenant_health.acme.overall == "green"
}`,
};
