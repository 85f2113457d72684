/** The provider's configuration keys (`claresia:<name>`), shared by the schema, the SDK and the plugin. */
export interface ConfigKey {
  name: 'endpoint' | 'token' | 'clientId' | 'clientSecret';
  env: string;
  secret: boolean;
  description: string;
}

export const PROVIDER_CONFIG: readonly ConfigKey[] = [
  { name: 'endpoint', env: 'CLARESIA_ENDPOINT', secret: false, description: 'Base URL of the Claresia control plane.' },
  { name: 'token', env: 'CLARESIA_TOKEN', secret: true, description: 'An operator token, or a tenant JWT.' },
  { name: 'clientId', env: 'CLARESIA_CLIENT_ID', secret: false, description: 'Client id of a tenant service account (with clientSecret, instead of token).' },
  { name: 'clientSecret', env: 'CLARESIA_CLIENT_SECRET', secret: true, description: 'Client secret of the tenant service account.' },
];
