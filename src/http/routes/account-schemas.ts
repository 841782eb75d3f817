import { PLANS } from '../../domain/plans.js';
import { ROLES } from '../../domain/roles.js';

/** JSON schemas of accounts and keys (account-routes.ts, key-routes.ts): they document the routes and serialize answers. */
const isoTime = { type: 'string', format: 'date-time' } as const;
const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;
const roleList = { type: 'array', items: { type: 'string', enum: ROLES } } as const;

export const security: Array<Record<string, string[]>> = [{ bearerAuth: [] }, { basicAuth: [] }];

export const accountSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    email: { type: 'string' },
    plan: { type: 'string', enum: PLANS, description: 'what the account may see: free (REST), pro (REST, STIX, TAXII)' },
    roles: { ...roleList, description: 'what the account may do, as granted' },
    effective_roles: { ...roleList, description: 'granted and implied: admin includes analyst, analyst includes submitter' },
    created_at: isoTime,
    disabled: { type: 'boolean', description: 'true: every key of the account is refused (401)' },
    disabled_at: nullableTime,
    disabled_reason: { type: ['string', 'null'] },
    active_keys: { type: 'integer', description: 'keys not revoked' },
  },
  required: ['id', 'email', 'plan', 'roles', 'effective_roles', 'created_at', 'disabled', 'disabled_at', 'disabled_reason', 'active_keys'],
  examples: [{
    id: 7, email: 'analyst@example.com', plan: 'pro', roles: ['analyst'], effective_roles: ['submitter', 'analyst'],
    created_at: '2026-05-17T12:00:00.000Z', disabled: false, disabled_at: null, disabled_reason: null, active_keys: 2,
  }],
} as const;

const keyProperties = {
  prefix: { type: 'string', description: 'the public part of the key (sk_live_ and 8 characters): how it is named and revoked' },
  name: { type: ['string', 'null'] },
  created_at: isoTime,
  last_used_at: { ...nullableTime, description: 'gathered in memory and written every 30 s: a recent use may show later' },
  revoked_at: nullableTime,
} as const;

export const keySchema = {
  type: 'object',
  properties: keyProperties,
  required: Object.keys(keyProperties),
  examples: [{ prefix: 'sk_live_AbCd1234', name: 'siem', created_at: '2026-05-17T12:00:00.000Z', last_used_at: '2026-05-18T08:30:00.000Z', revoked_at: null }],
} as const;

export const newKeySchema = {
  type: 'object',
  properties: { key: { type: 'string', description: 'the key: shown in this answer only, never again (only its hash is kept)' }, ...keyProperties },
  required: ['key', ...Object.keys(keyProperties)],
  examples: [{ key: 'sk_live_AbCd1234…(40 characters)', prefix: 'sk_live_AbCd1234', name: 'siem', created_at: '2026-05-17T12:00:00.000Z', last_used_at: null, revoked_at: null }],
} as const;

export const keyListSchema = { type: 'object', properties: { data: { type: 'array', items: keySchema } }, required: ['data'] } as const;

export const newKeyBody = {
  type: 'object',
  properties: { name: { type: ['string', 'null'], description: 'what the key is for (1–100 characters on one line); optional' } },
  examples: [{ name: 'siem' }],
} as const;

export const idParams = {
  type: 'object',
  properties: { id: { type: 'string', description: 'the account id', examples: ['7'] } },
  required: ['id'],
} as const;

export const prefixProperty = { type: 'string', description: 'the key prefix as listed (sk_live_ and 8 characters)', examples: ['sk_live_AbCd1234'] } as const;

/** GET /api/v1/me's answer (also inside the console session's answer). */
export const meSchema = {
  type: 'object',
  properties: {
    account: accountSchema,
    features: {
      type: 'object',
      properties: { rest: { type: 'boolean' }, stix: { type: 'boolean' }, taxii: { type: 'boolean' } },
      required: ['rest', 'stix', 'taxii'],
      description: 'what the plan allows: REST (every plan), STIX exports and TAXII (Pro)',
    },
    limits: {
      type: 'object',
      properties: {
        lookup_batch: { type: 'integer', description: 'the most values one POST /api/v1/lookup takes' },
        rate_limit: {
          type: 'object',
          properties: { max: { type: 'integer' }, window_seconds: { type: 'integer' } },
          required: ['max', 'window_seconds'],
          description: 'requests per window, one budget across REST and TAXII',
        },
      },
      required: ['lookup_batch', 'rate_limit'],
    },
    key: keySchema,
  },
  required: ['account', 'features', 'limits', 'key'],
} as const;
