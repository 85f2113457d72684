import type { Module } from './module.js';
import { authModule } from './auth.js';
import { auditModule } from './audit.js';
import { tenantsModule } from './tenants.js';
import { llmModule } from './llm.js';
import { hubModule } from './hub.js';
import { ssoModule } from './sso.js';
import { scimModule } from './scim.js';
import { scimDirectoriesModule } from './scim-directories.js';
import { rosterModule } from './roster.js';
import { rosterSyncsModule } from './roster-syncs.js';
import { skillsModule } from './skills.js';
import { telemetryModule } from './telemetry.js';
import { healthModule } from './health.js';
import { distributionModule } from './distribution.js';
import { webhooksModule } from './webhooks.js';
import { jobsModule } from './jobs.js';
import { groupMappingsModule } from './group-mappings.js';
import { userLoginModule } from './user-login.js';

/** Every feature of the control plane; add a module here to add routes, workers and mounts. */
export const modules: readonly Module[] = [authModule, tenantsModule, auditModule, llmModule, hubModule, ssoModule, scimDirectoriesModule, scimModule, rosterModule, rosterSyncsModule, skillsModule, telemetryModule, healthModule, groupMappingsModule, userLoginModule, distributionModule, webhooksModule, jobsModule];
