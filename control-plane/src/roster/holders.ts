import type { Knex } from 'knex';
import type { TenantScope } from '../db/tenant-scope.js';
import { scimEmail, scimLogin } from './email.js';

/**
 * One person may be provisioned by several directories of a tenant at once (an Okta-to-Entra
 * migration gives her a user in each). The roster keeps one member per address, so the member
 * follows the person rather than any one copy: it is active while any copy is active, and the
 * copy it takes its data from (and points at) is the preferred one below.
 */
export interface Holder {
  id: string;
  email: string | null;
  user_name: string;
  active: boolean;
  updated_at: Date | string;
  seq: number | string;
}

export const HOLDER_COLUMNS = ['id', 'email', 'user_name', 'active', 'updated_at', 'seq'] as const;

/**
 * The roster address of a SCIM user as SQL, for grouping and comparing in the database. It
 * equals scimEmail() wherever that is not null (an email present is used trimmed, else the
 * userName, which scimEmail only takes when it already is a bare address); callers check the
 * rows it finds with scimEmail, which also rules out what is not an address at all.
 */
export const ADDRESS_SQL = (alias: string) => `lower(trim(coalesce(${alias}.email, ${alias}.user_name)))`;

/**
 * The addresses a SCIM user holds: its roster address, and its login (userName) when that is an
 * address too. Someone listed (by a CSV, on a platform) under their login is the same person as
 * under their work email, so de-provisioning takes both away and re-activation gives both back.
 */
export function addressesOf(u: { email: string | null; user_name: string }): string[] {
  const roster = scimEmail(u.email, u.user_name);
  const login = scimLogin(u.user_name);
  return [...new Set([roster, login].filter((a): a is string => a !== null))];
}

/**
 * How a user holds `address`: as its roster address (the work email), only as its login, or not.
 * The two do not weigh the same. A login may be someone else's work email (a UPN reused after
 * its owner left, or one that differs from the mail address): an active user's login must never
 * keep a departed person's work email live, nor take over the member there. So a login holds an
 * address only against other logins (the same UPN in a second directory, or a rehire), never
 * against a roster address.
 */
export function holdsAs(u: { email: string | null; user_name: string }, address: string): 'roster' | 'login' | null {
  if (scimEmail(u.email, u.user_name) === address) return 'roster';
  return scimLogin(u.user_name) === address ? 'login' : null;
}

const millis = (d: Date | string) => new Date(d).getTime();

/**
 * Which copy speaks for the person: an active one before an inactive one; then the one
 * changed last, because during a migration the copies drift apart and the latest change any
 * directory made is the newest fact about her (an IdP re-sending an unchanged document does
 * not move updated_at, so the choice does not flap from sync to sync); then the oldest.
 */
export function byPreference(a: Holder, b: Holder): number {
  if (a.active !== b.active) return a.active ? -1 : 1;
  const byChange = millis(b.updated_at) - millis(a.updated_at);
  if (byChange !== 0) return byChange;
  return Number(a.seq) - Number(b.seq);
}

/** The tenant's directories, for holdersOf: read once by a caller that looks up many addresses. */
export async function directoryIds(scope: TenantScope): Promise<string[]> {
  return ((await scope.table('scim_directories').select('id')) as Array<{ id: string }>).map((d) => d.id);
}

export interface HolderQuery {
  /** Only active users. */
  active?: boolean;
  /** Users being de-provisioned by the change at hand, which may not be marked inactive yet (a removed directory's users are reported before they go). */
  except?: ReadonlySet<string>;
  /** The tenant's directory ids (directoryIds), when the caller has them. */
  directories?: readonly string[];
  /**
   * Also users holding `address` only as their login, when none holds it as roster address and no
   * de-provisioned one (inactive, deleted, or in `except`) has it as theirs (holdsAs). For a member
   * at a login, which follows the login's holder; without it only roster addresses count.
   */
  logins?: boolean;
}

/** The live SCIM users whose roster address is `address` (with opts.logins, see there), the preferred one first. */
export async function holdersOf(scope: TenantScope, address: string, opts: HolderQuery = {}): Promise<Holder[]> {
  const directories = opts.directories ?? (await directoryIds(scope));
  if (!directories.length) return [];
  let q = scope
    .table('scim_users as u')
    // The filter indexes start (tenant, directory): naming the directories as a list lets each be
    // entered directly (a subquery would not be, and the whole tenant's entries would be read).
    .whereIn('u.directory_id', directories as string[])
    // A deleted user holds nothing: SCIM has forgotten it (and those indexes leave it out).
    .whereNull('u.deleted_at')
    .where((w) => {
      // What those indexes cover; a copy whose email the IdP padded with spaces is missed
      // here (and counts from the next sync, which reads every user).
      w.whereRaw('lower(u.email) = ?', [address]).orWhere('u.user_name_lower', address);
    });
  if (opts.active) q = q.where('u.active', true);
  const found = (await q.select(HOLDER_COLUMNS.map((c) => `u.${c}`))) as Holder[];
  const rows = found.filter((u) => !opts.except?.has(u.id));
  const byRoster = rows.filter((u) => holdsAs(u, address) === 'roster');
  if (byRoster.length || !opts.logins) return byRoster.sort(byPreference);
  const byLogin = rows.filter((u) => holdsAs(u, address) === 'login');
  if (!byLogin.length) return [];
  // A user being de-provisioned may not be marked inactive yet: then it is among those just read.
  const leaving = found.filter((u) => opts.except?.has(u.id));
  if (leaving.some((u) => holdsAs(u, address) === 'roster') || (await departedWorkEmail(scope, address))) return [];
  return byLogin.sort(byPreference);
}

/**
 * Whether an inactive user (a deleted one is inactive too: scim/users.ts deleteUser de-provisions
 * first) has `address` as its roster address: then no login may speak for it (holdsAs). Asked only
 * when a login would, once per member at a login of a user de-provisioned or re-activated, so it
 * is one probe of the partial index migration 0880 made for it (deleted users are outside the
 * filter indexes holdersOf uses); NOT u.active is that index's predicate, written as it is there.
 */
async function departedWorkEmail(scope: TenantScope, address: string): Promise<boolean> {
  const rows = (await scope
    .table('scim_users as u')
    .whereRaw('NOT u.active')
    .whereRaw(`${ADDRESS_SQL('u')} = ?`, [address])
    .select('u.email', 'u.user_name')) as Array<{ email: string | null; user_name: string }>;
  return rows.some((u) => holdsAs(u, address) === 'roster');
}

/**
 * Where SCIM de-provisioned someone, who holds the address now. Only addresses an inactive (or
 * deleted) SCIM user holds appear, by its roster address or its login (addressesOf: a CSV row or
 * a platform account under the UPN is the same person as one under the work email):
 * - `deprovisioned`: no active, undeleted user holds it (an active user's login does not, where a
 *   departed user had it as work email: holdsAs); the person is gone. A deleted user counts
 *   as a holder here (it is de-provisioned, and its row stays so that it keeps counting): unlike
 *   holdersOf, which asks who speaks for a person, this asks whether the directory took her away,
 *   and a CSV row must not outvote that.
 * - `live`: an active, undeleted user holds it too (another directory's copy, or the person
 *   provisioned again after a DELETE); the person is here, whatever copy a member points at.
 * Each maps the address to the user that speaks for it (byPreference). `only` restricts the
 * answer to those addresses, and reads no less: which users a departed one shares an address
 * with is found from the departed side (holdersOfDeparted), read once for a publish or a whole
 * import.
 */
export interface Departures {
  deprovisioned: Map<string, string>;
  live: Map<string, string>;
}

type Listed = Holder & { deleted_at: Date | string | null };

const COLUMNS = [...HOLDER_COLUMNS, 'deleted_at'] as const;

/**
 * Up to this many departed users, the active users holding one of their addresses are found by
 * index probes: four per departed user (two addresses, each as roster address and as login), so
 * the cost follows the departed, not the tenant. Past it one read of the tenant's active users,
 * each looked up in the addresses hashed, costs less, as it did before 0893. Measured on pg
 * (EXPLAIN ANALYZE, 10,000 users): 249 departed, 2.2 ms probed against 6.7 ms read once; 499
 * departed, 11.4 ms against 9.8 ms. A tenant keeps its leavers' rows, so an old one may be past it.
 */
export const PROBED = 250;

/** The active users holding an address of a departed user (addressesOf's two, in SQL terms), as a query. */
function holdersOfDeparted(scope: TenantScope, departed: number, directories: readonly string[]): Knex.QueryBuilder {
  const gone = scope.table('scim_users as d').whereRaw('NOT d.active').select(scope.db.raw(`unnest(array[${ADDRESS_SQL('d')}, d.user_name_lower]) AS a`));
  const listed = () => scope.db.select('g.a').from('gone as g');
  const address = scope.db.raw(ADDRESS_SQL('u')) as unknown as string;
  const active = () => scope.table('scim_users as u').whereRaw('u.active').select(COLUMNS.map((c) => `u.${c}`));
  if (departed > PROBED) return active().with('gone', gone).where((w) => w.whereIn(address, listed()).orWhereIn('u.user_name_lower', listed()));
  // By roster address through 0893's index; by login through 0490's userName index, which holds
  // the directories' undeleted users (an active user is never deleted: deleteUser de-provisions
  // first). A UNION, as PostgreSQL 15 plans an OR of the two as a read of every active user.
  return active()
    .with('gone', gone)
    .whereIn(address, listed())
    .union(active().whereNull('u.deleted_at').whereIn('u.directory_id', directories as string[]).whereIn('u.user_name_lower', listed()));
}

export async function departures(scope: TenantScope, only?: ReadonlySet<string>): Promise<Departures> {
  const out: Departures = { deprovisioned: new Map(), live: new Map() };
  if (only && only.size === 0) return out;
  // Every departed user: a deleted one is inactive too (scim/users.ts deleteUser de-provisions first).
  const departed = (await scope.table('scim_users as u').whereRaw('NOT u.active').select(COLUMNS.map((c) => `u.${c}`))) as Listed[];
  if (!departed.length) return out;
  const rows: Listed[] = [...departed, ...((await holdersOfDeparted(scope, departed.length, await directoryIds(scope))) as Listed[])];
  const byAddress = new Map<string, Listed[]>();
  for (const u of rows) {
    for (const a of addressesOf(u)) {
      if (only && !only.has(a)) continue;
      byAddress.set(a, [...(byAddress.get(a) ?? []), u]);
    }
  }
  for (const [a, users] of byAddress) {
    const isLive = (u: Listed) => u.active && u.deleted_at === null;
    const left = users.filter((u) => !isLive(u));
    // Fetched for its other address: an address only active users hold is no departure.
    if (!left.length) continue;
    // A login keeps an address live only where no departed person had it as work email (holdsAs).
    const leftAsRoster = left.filter((u) => holdsAs(u, a) === 'roster');
    const here = users.filter(isLive);
    const asRoster = here.filter((u) => holdsAs(u, a) === 'roster');
    const live = asRoster.length || leftAsRoster.length ? asRoster : here;
    if (live.length) out.live.set(a, live.sort(byPreference)[0]!.id);
    // The person whose work email it is speaks for it, before one who only signed in with it.
    else out.deprovisioned.set(a, (leftAsRoster.length ? leftAsRoster : left).sort(byPreference)[0]!.id);
  }
  return out;
}

/**
 * Whom a CSV member follows once the SCIM user it was tied to is gone altogether (removed with its
 * directory, which de-provisioned it first: an IdP migration that removes the old directory
 * before the new one provisions the person, as Terraform replacing a claresia_scim_directory
 * does). `known` (departures() of the address) answers where a departed user still holds the
 * address; where none does, departures() knows nothing of it, and the answer is holdersOf's, as
 * for a new row (a login that a departed person has as work email finds nobody). Undefined when
 * nobody active holds it. The sync and an import of the row both ask this, so they agree.
 */
export async function holderAfterVanished(scope: TenantScope, address: string, known: Departures, directories?: readonly string[]): Promise<string | undefined> {
  if (known.live.has(address) || known.deprovisioned.has(address)) return known.live.get(address);
  return (await holdersOf(scope, address, { active: true, logins: true, ...(directories ? { directories } : {}) }))[0]?.id;
}

/** Of the SCIM user ids `ids`, those whose row still exists (deleted ones included). */
export async function existingUserIds(scope: TenantScope, ids: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (let i = 0; i < ids.length; i += 1000) {
    const rows = (await scope.table('scim_users').whereIn('id', ids.slice(i, i + 1000) as string[]).select('id')) as Array<{ id: string }>;
    for (const r of rows) out.add(r.id);
  }
  return out;
}

/**
 * Which of `addresses` an active, undeleted SCIM user has as its roster address: the member there
 * is the IdP's to remove (a sync would bring it back). Not its login: a member a CSV made at a
 * login address is the file's, which a replace import or a DELETE may take off.
 */
export async function liveAddresses(scope: TenantScope, addresses: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (let i = 0; i < addresses.length; i += 1000) {
    const chunk = new Set(addresses.slice(i, i + 1000));
    const rows = (await scope
      .table('scim_users as u')
      .where('u.active', true)
      .whereNull('u.deleted_at')
      // What the filter indexes cover, as in holdersOf.
      .where((w) => w.whereIn(scope.db.raw('lower(u.email)') as unknown as string, [...chunk]).orWhereIn('u.user_name_lower', [...chunk]))
      .select('u.email', 'u.user_name')) as Array<{ email: string | null; user_name: string }>;
    for (const r of rows) {
      const a = scimEmail(r.email, r.user_name);
      if (a && chunk.has(a)) out.add(a);
    }
  }
  return out;
}
