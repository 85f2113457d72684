import type { JsonSchema } from '@claresia/catalog';
import { ApiError, badRequest, notFound } from '../http/errors.js';
import type { RequestContext } from '../http/router.js';
import { newId } from '../crypto/secrets.js';
import { parseLimit } from '../http/limit-param.js';
import { ARCHETYPES, ARCHETYPE_LABELS } from '../roster/archetypes.js';
import { CLASSIFIER_ID, THRESHOLD } from '../roster/classifier.js';
import { importRosterCsv, type ImportOptions } from '../roster/csv-import.js';
import { liveAddresses } from '../roster/holders.js';
import { refuseUnknownQuery } from '../http/query-check.js';
import { requestRepublish } from '../skills/entitlements.js';
import type { QueryDoc } from '../http/router.js';
import { charsetOf, isKnownCharset } from '../roster/csv-decode.js';
import { lockRoster, presentMember, type MemberRow } from '../roster/members.js';
import { rosterSummary } from '../roster/summary.js';
// Registers the roster's part of POST /api/v1/roster/scim:sync (classifying synced users).
import '../roster/scim-sync.js';
import type { Module } from './module.js';
import { catalogSchema } from '../http/openapi-refs.js';
import { csvImportSchema, memberSchema, rosterPageSchema } from '../roster/openapi.js';

const tag = 'roster';

const OVERRIDE: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['archetype'],
  properties: {
    archetype: {
      anyOf: [{ type: 'string', enum: [...ARCHETYPES] }, { type: 'null' }],
      description: 'The archetype this person keeps whatever later imports or syncs say; null hands them back to the classifier.',
    },
  },
};

const CSV_QUERY: Record<string, QueryDoc> = {
  mode: {
    schema: { type: 'string', enum: ['merge', 'replace'], default: 'merge' },
    description:
      'merge adds and updates the listed members; replace also turns inactive every active member an earlier CSV wrote that this file leaves out (members SCIM holds are left alone)',
  },
  max_removals: {
    schema: { type: 'integer', minimum: 0 },
    description: 'mode=replace only: the most members the import may take off. Without it, a replace that would take off more than a quarter of the active CSV members (and more than 5) is refused with 409 too_many_removals and nothing imported',
  },
};

/** The import's options from its query; a typo is refused rather than imported as a merge. */
function importOptions(query: Record<string, unknown>): ImportOptions {
  refuseUnknownQuery(CSV_QUERY, query);
  const mode = query.mode === undefined ? 'merge' : String(query.mode);
  if (mode !== 'merge' && mode !== 'replace') throw badRequest('mode must be merge or replace', 'mode', 'invalid_value');
  if (query.max_removals === undefined) return { mode };
  const raw = String(query.max_removals);
  if (mode !== 'replace') throw badRequest('max_removals only applies with mode=replace', 'max_removals', 'invalid_value');
  if (!/^\d{1,9}$/.test(raw)) throw badRequest('max_removals must be a whole number from 0 to 999999999', 'max_removals', 'invalid_value');
  return { mode, maxRemovals: Number(raw) };
}

async function findMember(ctx: RequestContext, idOrEmail: string, lock = false): Promise<MemberRow> {
  const field = idOrEmail.includes('@') ? 'email' : 'id';
  let q = ctx.tenant().table<MemberRow>('roster_members').where(field, field === 'email' ? idOrEmail.toLowerCase() : idOrEmail).first();
  if (lock) q = q.forUpdate();
  const m = (await q) as MemberRow | undefined;
  if (!m) throw notFound(`roster member ${idOrEmail}`, 'id');
  return m;
}

export const rosterModule: Module = {
  name: 'roster',
  routes(r) {
    r.route({
      method: 'POST',
      path: '/api/v1/roster/csv',
      auth: 'tenant',
      tag,
      summary:
        'Import a roster CSV (email, first_name, last_name, title, department, manager_email); all or nothing. UTF-8 unless Content-Type names a charset (windows-1252, iso-8859-1, utf-16 with a byte-order mark, ...). ?mode=replace also takes off CSV members the file leaves out',
      transaction: false,
      query: CSV_QUERY,
      response: csvImportSchema,
      accepts: { content: { 'text/csv': { type: 'string', description: 'A header row, then one member a line' } } },
      async handler(ctx) {
        const options = importOptions(ctx.query as Record<string, unknown>);
        const contentType = ctx.req.header('content-type') ?? '';
        const type = contentType.split(';')[0]!.trim().toLowerCase();
        if (!['text/csv', 'application/csv', 'text/plain'].includes(type)) {
          throw new ApiError(415, 'unsupported_media_type', 'send the roster as Content-Type: text/csv', 'Content-Type');
        }
        const charset = charsetOf(contentType);
        if (charset !== undefined && !isKnownCharset(charset)) {
          throw new ApiError(
            415,
            'unsupported_media_type',
            `charset "${charset.slice(0, 40)}" is not one the roster import can read; save the file as "CSV UTF-8", or declare its real charset (for example charset=windows-1252, iso-8859-1 or utf-16)`,
            'Content-Type',
          );
        }
        const declared = ctx.req.header('content-length');
        // The upload is read and checked with no transaction open; only the write is transactional.
        const body = await importRosterCsv(
          ctx.req,
          declared === undefined ? undefined : Number(declared),
          charset,
          (write) =>
            ctx.transaction(async (tx) => {
              const scope = tx.tenant();
              const report = await write(scope, (e) => tx.audit(e));
              const id = newId('rimp');
              await scope.insert('roster_imports', {
                id,
                source: 'csv',
                actor: tx.actor,
                rows: report.rows,
                created: report.created,
                updated: report.updated,
                unmatched: report.unmatched,
                finished_at: new Date(),
              });
              const { unmatched_rows: _list, deprovisioned_rows: _held, deactivated_members: removed, kept_off_members: keptOff, ...counts } = report;
              await tx.audit({
                type: 'roster.csv_imported',
                subject: id,
                data: { ...counts, classifier: CLASSIFIER_ID, ...(removed.length ? { deactivated_members: removed.slice(0, 100) } : {}), ...(keptOff.length ? { kept_off_members: keptOff.slice(0, 100) } : {}) },
              });
              // A new archetype asks for its own publish (distribution/triggers.ts); someone turned
              // on or off without one would otherwise wait for an unrelated change. Requests made
              // in one transaction are one publish.
              if (report.access_changed || report.deactivated) await requestRepublish(scope, tx.actor, `roster CSV import ${id} turned members active or inactive`);
              return { import_id: id, ...report };
            }),
          options,
        );
        return { status: 200, body };
      },
    });

    r.route({
      method: 'GET',
      path: '/api/v1/roster',
      auth: 'tenant',
      tag,
      summary: 'The roster: members with their archetype, the unmatched ones, and totals (?archetype=, ?unmatched=true, ?cursor=, ?limit= from 1 to 1000, default 100)',
      query: {
        archetype: { schema: { type: 'string', enum: [...ARCHETYPES] }, description: 'Only members of this archetype' },
        unmatched: { schema: { type: 'string', enum: ['true'] }, description: 'Only members the classifier matched to no archetype' },
        cursor: { schema: { type: 'string' }, description: 'next_cursor of the previous page' },
        limit: { schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
      },
      response: rosterPageSchema,
      async handler(ctx) {
        const limit = parseLimit(ctx.query.limit);
        let q = ctx.tenant().table<MemberRow>('roster_members').orderBy('email').limit(limit + 1);
        if (ctx.query.archetype !== undefined) {
          const a = String(ctx.query.archetype);
          if (!(ARCHETYPES as readonly string[]).includes(a)) throw badRequest(`archetype must be one of: ${ARCHETYPES.join(', ')}`, 'archetype', 'invalid_value');
          q = q.where('archetype', a);
        }
        if (ctx.query.unmatched === 'true') q = q.whereNull('archetype');
        if (ctx.query.cursor) q = q.where('email', '>', String(ctx.query.cursor));
        const rows = (await q) as MemberRow[];
        const page = rows.slice(0, limit);
        return {
          body: {
            items: page.map(presentMember),
            next_cursor: rows.length > limit ? page[page.length - 1]!.email : null,
            summary: await rosterSummary(ctx.tenant()),
          },
        };
      },
    });

    r.route({
      method: 'GET',
      path: '/api/v1/roster/members/{id}',
      auth: 'tenant',
      tag,
      summary: 'One roster member, by id or email',
      response: memberSchema,
      handler: async (ctx) => ({ body: presentMember(await findMember(ctx, ctx.params.id!)) }),
    });

    r.route({
      method: 'PUT',
      path: '/api/v1/roster/members/{id}/archetype',
      auth: 'tenant',
      tag,
      summary: "Override a member's archetype (null returns them to the classifier); kept across later imports and syncs",
      body: OVERRIDE,
      response: memberSchema,
      async handler(ctx) {
        const m = await findMember(ctx, ctx.params.id!, true);
        const override = ctx.body.archetype as string | null;
        const archetype = override ?? m.classified_archetype;
        if (override === m.override_archetype) return { body: presentMember(m) };
        await ctx.tenant().table('roster_members').where('id', m.id).update({ override_archetype: override, archetype, updated_at: new Date() });
        await ctx.audit({
          type: 'rbac.archetype_assigned',
          subject: m.id,
          data: { email: m.email, archetype, previous: m.archetype, by: override ? 'override' : CLASSIFIER_ID, override_cleared: override === null, source: 'override' },
        });
        return { body: presentMember(await findMember(ctx, m.id)) };
      },
    });

    r.route({
      method: 'DELETE',
      path: '/api/v1/roster/members/{id}',
      auth: 'tenant',
      tag,
      status: 204,
      summary:
        'Take a member off the roster (by id or email): their grants go at the publish this queues, and a session of theirs is refused. For people a CSV brought; one an active SCIM user holds is 409 (de-provision them in the IdP). A later import that lists them adds them again',
      async handler(ctx) {
        const scope = ctx.tenant();
        // Same order as imports and syncs (roster lock, then the row), so none of them waits on the other's locks.
        await lockRoster(scope);
        const m = await findMember(ctx, ctx.params.id!, true);
        if ((await liveAddresses(scope, [m.email])).size) {
          throw new ApiError(
            409,
            'managed_by_scim',
            `${m.email} is an active user of the tenant's SCIM directory, which keeps them on the roster; de-provision them in the IdP (active: false or DELETE), which takes their access away`,
            'id',
          );
        }
        await scope.table('roster_members').where('id', m.id).delete();
        const publish = await requestRepublish(scope, ctx.actor, `roster member ${m.email} removed`);
        await ctx.audit({
          type: 'roster.member_removed',
          subject: m.id,
          data: { email: m.email, archetype: m.archetype, source: m.source, was_active: m.active, distribution_request: publish.id },
        });
        return { status: 204 };
      },
    });

    r.route({
      method: 'GET',
      path: '/api/v1/roster/archetypes',
      auth: 'tenant',
      tag,
      summary: 'The archetypes with how many members each has and their entitled skills (the archetypes data source)',
      response: catalogSchema('archetypes'),
      async handler(ctx) {
        const scope = ctx.tenant();
        const counts = new Map<string, number>(
          ((await scope.table('roster_members').where('active', true).whereNotNull('archetype').groupBy('archetype').select('archetype').count({ n: '*' })) as Array<{ archetype: string; n: number | string }>).map((x) => [x.archetype, Number(x.n)]),
        );
        const ents = new Map<string, string[]>(
          ((await scope.table('skill_entitlements').select('archetype', 'skills')) as Array<{ archetype: string; skills: string[] | string }>).map((e) => [e.archetype, typeof e.skills === 'string' ? JSON.parse(e.skills) : e.skills]),
        );
        return {
          body: {
            classifier: CLASSIFIER_ID,
            threshold: THRESHOLD,
            archetypes: ARCHETYPES.map((a) => ({ name: a, label: ARCHETYPE_LABELS[a], members: counts.get(a) ?? 0, skills: ents.get(a) ?? [] })),
          },
        };
      },
    });
  },
};
