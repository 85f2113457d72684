import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type Adapter, type AdapterPayload } from 'oidc-provider';

export interface OidcUser {
  sub: string;
  claims: Record<string, unknown>;
}

export interface OidcIdp {
  issuer: string;
  discoveryUrl: string;
  provider: Provider;
  user: OidcUser;
  /** Registers a confidential client (done once the connection exists and its redirect URI is known). */
  addClient(clientId: string, clientSecret: string, redirectUri: string): void;
  /** The last authorization request the IdP received. */
  lastAuthorization?: URLSearchParams;
  close(): Promise<void>;
}

/**
 * Storage for oidc-provider that lives as long as one fixture; clients can be added after
 * the provider started (the redirect URI depends on the connection id).
 */
function adapterFor(store: Map<string, { payload: AdapterPayload; expiresAt?: number }>, clients: Map<string, AdapterPayload>) {
  return class MapAdapter implements Adapter {
    constructor(private readonly name: string) {}
    private key(id: string) {
      return `${this.name}:${id}`;
    }
    async upsert(id: string, payload: AdapterPayload, expiresIn?: number) {
      store.set(this.key(id), { payload, ...(expiresIn ? { expiresAt: Date.now() + expiresIn * 1000 } : {}) });
      if (payload.uid) store.set(`uid:${payload.uid}`, { payload: { id } as unknown as AdapterPayload });
    }
    async find(id: string) {
      if (this.name === 'Client') return clients.get(id);
      const hit = store.get(this.key(id));
      if (!hit || (hit.expiresAt && hit.expiresAt < Date.now())) return undefined;
      return hit.payload;
    }
    async findByUid(uid: string) {
      const ref = store.get(`uid:${uid}`)?.payload as unknown as { id: string } | undefined;
      return ref ? this.find(ref.id) : undefined;
    }
    async findByUserCode() {
      return undefined;
    }
    async consume(id: string) {
      const hit = store.get(this.key(id));
      if (hit) hit.payload.consumed = Math.floor(Date.now() / 1000);
    }
    async destroy(id: string) {
      store.delete(this.key(id));
    }
    async revokeByGrantId(grantId: string) {
      for (const [k, v] of store) if (v.payload.grantId === grantId) store.delete(k);
    }
  };
}

/**
 * A real OpenID Connect provider (the `oidc-provider` package) on loopback. Its login and
 * consent steps complete on their own for the configured user, as if that user signed in.
 * PKCE is required for every client.
 */
export async function startOidcIdp(): Promise<OidcIdp> {
  const store = new Map<string, { payload: AdapterPayload; expiresAt?: number }>();
  const clients = new Map<string, AdapterPayload>();
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  const idp: OidcIdp = {
    issuer,
    discoveryUrl: `${issuer}/.well-known/openid-configuration`,
    provider: undefined as unknown as Provider,
    user: {
      sub: 'user-ada',
      claims: { email: 'Ada@Acme.example', email_verified: true, given_name: 'Ada', family_name: 'Lovelace', groups: ['claresia-admins', 'engineering'] },
    },
    addClient(clientId, clientSecret, redirectUri) {
      clients.set(clientId, {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      });
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
  const provider = new Provider(issuer, {
    adapter: adapterFor(store, clients),
    jwks: { keys: [jwk as never] },
    cookies: { keys: ['test-cookie-signing-key'] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['given_name', 'family_name'], groups: ['groups'] },
    scopes: ['openid', 'email', 'profile', 'groups'],
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: async (_ctx, sub) => ({
      accountId: sub,
      claims: async () => ({ sub, ...idp.user.claims }),
    }),
  });
  idp.provider = provider;
  const callback = provider.callback();
  server.on('request', async (req, res) => {
    try {
      const u = new URL(req.url ?? '/', issuer);
      if (u.pathname === '/auth') idp.lastAuthorization = u.searchParams;
      if (!u.pathname.startsWith('/interaction/')) return void callback(req, res);
      const details = await provider.interactionDetails(req, res);
      if (details.prompt.name === 'login') {
        await provider.interactionFinished(req, res, { login: { accountId: idp.user.sub } }, { mergeWithLastSubmission: false });
        return;
      }
      const grant = new provider.Grant({ accountId: details.session!.accountId, clientId: String(details.params.client_id) });
      grant.addOIDCScope(String(details.params.scope));
      for (const claim of ['email', 'email_verified', 'given_name', 'family_name', 'groups']) grant.addOIDCClaims([claim]);
      await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
    } catch (err) {
      res.writeHead(500).end(String(err));
    }
  });
  return idp;
}

/**
 * Plays a browser from `url` through the IdP's redirects (keeping its cookies) and stops at
 * the first URL under `stopAt`, which it returns instead of loading.
 */
export async function followUntil(url: string, stopAt: string): Promise<string> {
  const jar = new Map<string, Map<string, string>>();
  let current = url;
  for (let i = 0; i < 20; i++) {
    if (current.startsWith(stopAt)) return current;
    const origin = new URL(current).origin;
    const cookies = jar.get(origin) ?? new Map<string, string>();
    const res = await fetch(current, { redirect: 'manual', headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
    }
    jar.set(origin, cookies);
    const location = res.headers.get('location');
    if (!location) throw new Error(`the IdP stopped at ${current} with HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`);
    current = new URL(location, current).href;
  }
  throw new Error('too many redirects');
}
