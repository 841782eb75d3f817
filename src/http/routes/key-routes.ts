import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AccountService } from '../../rest/account-service.js';
import { actorOf, principalOf, requireKey, requireRole } from '../auth-hooks.js';
import { errorResponses } from '../schemas.js';
import { idParams, keyListSchema, keySchema, newKeyBody, newKeySchema, prefixProperty, security } from './account-schemas.js';

/** A key's body is optional: no body is `{}` (a key without a name), checked as such. Run after the guard. */
const noBodyIsEmpty = async (request: FastifyRequest) => {
  if (request.body === undefined || request.body === null) request.body = {};
};

const created = { 201: { ...newKeySchema, description: 'the new key, shown in this answer only' } };

/**
 * API keys: an account's own (GET/POST /api/v1/keys, DELETE /api/v1/keys/{prefix}; any key), and any account's for
 * admins (/api/v1/accounts/{id}/keys). A new key is in its creation answer only (`Cache-Control: no-store`); listings
 * never show a key nor its hash. Another account's key is answered as one that does not exist (404), not 403.
 */
export async function keyRoutes(app: FastifyInstance, opts: { accounts: AccountService }): Promise<void> {
  const { accounts } = opts;
  const admin = requireRole('admin', "managing another account's keys");

  app.get('/keys', {
    preValidation: requireKey,
    schema: {
      summary: 'List your keys',
      description: 'The keys of the account of the key in use, oldest first, revoked ones included. Every plan.',
      tags: ['account'],
      security,
      response: { 200: keyListSchema, ...errorResponses },
    },
    handler: async (request) => accounts.listKeys(principalOf(request).accountId),
  });

  app.post('/keys', {
    preValidation: [requireKey, noBodyIsEmpty],
    schema: {
      summary: 'Create a key for your account',
      description: 'The key is in this answer only: store it now. It has the account\'s plan and roles. Every plan.',
      tags: ['account'],
      security,
      body: newKeyBody,
      response: { ...created, 409: { $ref: 'Problem#' }, ...errorResponses },
    },
    handler: async (request, reply) => {
      const key = await accounts.createKey(actorOf(request), principalOf(request).accountId, request.body);
      return reply.code(201).header('cache-control', 'no-store').send(key);
    },
  });

  app.delete('/keys/:prefix', {
    preValidation: requireKey,
    schema: {
      summary: 'Revoke one of your keys',
      description: 'Refused at once on every node. The key in use may revoke itself. 404 for a key that is not the account\'s. Every plan.',
      tags: ['account'],
      security,
      params: { type: 'object', properties: { prefix: prefixProperty }, required: ['prefix'] },
      response: { 200: keySchema, 409: { $ref: 'Problem#' }, ...errorResponses },
    },
    handler: async (request) => accounts.revokeKey(actorOf(request), principalOf(request).accountId, (request.params as { prefix: string }).prefix),
  });

  app.get('/accounts/:id/keys', {
    preParsing: admin,
    schema: {
      summary: "List an account's keys",
      description: 'Oldest first, revoked ones included; never a key nor its hash. Admin role.',
      tags: ['admin'],
      security,
      params: idParams,
      response: { 200: keyListSchema, ...errorResponses },
    },
    handler: async (request) => accounts.listKeys((await accounts.account((request.params as { id: string }).id)).id),
  });

  app.post('/accounts/:id/keys', {
    preParsing: admin,
    preValidation: noBodyIsEmpty,
    schema: {
      summary: 'Create a key for an account',
      description: 'The key is in this answer only: hand it over now. Admin role.',
      tags: ['admin'],
      security,
      params: idParams,
      body: newKeyBody,
      response: { ...created, 409: { $ref: 'Problem#' }, ...errorResponses },
    },
    handler: async (request, reply) => {
      const account = await accounts.account((request.params as { id: string }).id);
      const key = await accounts.createKey(actorOf(request), account.id, request.body);
      return reply.code(201).header('cache-control', 'no-store').send(key);
    },
  });

  app.delete('/accounts/:id/keys/:prefix', {
    preParsing: admin,
    schema: {
      summary: "Revoke an account's key",
      description: 'Refused at once on every node. 404 when the key is not this account\'s. Admin role.',
      tags: ['admin'],
      security,
      params: { type: 'object', properties: { id: idParams.properties.id, prefix: prefixProperty }, required: ['id', 'prefix'] },
      response: { 200: keySchema, 409: { $ref: 'Problem#' }, ...errorResponses },
    },
    handler: async (request) => {
      const { id, prefix } = request.params as { id: string; prefix: string };
      return accounts.revokeKey(actorOf(request), (await accounts.account(id)).id, prefix);
    },
  });
}
