import type { FastifyInstance } from 'fastify';
import { PLANS } from '../../domain/plans.js';
import { ROLES } from '../../domain/roles.js';
import type { AccountService } from '../../rest/account-service.js';
import { actorOf, principalOf, requireKey, requireRole } from '../auth-hooks.js';
import { errorResponses, pagedList, pagedQuery } from '../schemas.js';
import { accountSchema, idParams, meSchema, security } from './account-schemas.js';

/**
 * GET /api/v1/me (any key), and the accounts of the server for admins (requireRole('admin')): list, create, show,
 * change plan, roles and disabled state. Answered by the AccountService; every change goes to the audit trail.
 * docs/architecture.md §4.
 */
export async function accountRoutes(app: FastifyInstance, opts: { accounts: AccountService }): Promise<void> {
  const { accounts } = opts;
  const admin = requireRole('admin', 'managing accounts');

  app.get('/me', {
    preValidation: requireKey,
    schema: {
      summary: 'The account of the key in use',
      description:
        'Its plan (what it may see) and what that plan allows, its roles (what it may do; granted and implied), its limits ' +
        '(requests per window, values per look-up), and the key in use. Every plan.',
      tags: ['account'],
      security,
      response: {
        200: meSchema,
        ...errorResponses,
      },
    },
    handler: async (request) => accounts.me(principalOf(request)),
  });

  app.get('/accounts', {
    preParsing: admin,
    schema: {
      summary: 'List accounts',
      description: 'Every account in id order with its active key count. Follow pagination.next_cursor while has_more. Admin role.',
      tags: ['admin'],
      security,
      querystring: pagedQuery({ description: 'accounts per page (default and maximum as GET /api/v1/iocs)', example: '100' }),
      response: {
        200: pagedList(accountSchema),
        ...errorResponses,
      },
    },
    handler: async (request) => accounts.listAccounts(request.query as Record<string, unknown>),
  });

  app.post('/accounts', {
    preParsing: admin,
    schema: {
      summary: 'Create an account',
      description: 'An account without keys (POST /api/v1/accounts/{id}/keys makes one). 409 when the email has an account already. Admin role.',
      tags: ['admin'],
      security,
      body: {
        type: 'object',
        properties: {
          email: { type: 'string', description: 'the account email (unique, whatever the case)' },
          plan: { type: 'string', enum: PLANS, description: 'what it may see' },
          roles: { type: 'array', items: { type: 'string', enum: ROLES }, description: 'what it may do; none by default' },
        },
        required: ['email', 'plan'],
        examples: [{ email: 'analyst@example.com', plan: 'pro', roles: ['analyst'] }],
      },
      response: { 201: accountSchema, 409: { $ref: 'Problem#' }, ...errorResponses },
    },
    handler: async (request, reply) => {
      const created = await accounts.createAccount(actorOf(request), request.body);
      return reply.code(201).header('location', `/api/v1/accounts/${created.id}`).send(created);
    },
  });

  app.get('/accounts/:id', {
    preParsing: admin,
    schema: {
      summary: 'Show an account',
      description: 'Its plan, roles, disabled state and active key count. Admin role.',
      tags: ['admin'],
      security,
      params: idParams,
      response: { 200: accountSchema, ...errorResponses },
    },
    handler: async (request) => accounts.view(await accounts.account((request.params as { id: string }).id)),
  });

  app.patch('/accounts/:id', {
    preParsing: admin,
    schema: {
      summary: "Change an account's plan, roles or disabled state",
      description:
        'Give any of `plan`, `roles` (the whole set: it replaces the roles), `disabled` (true: every key of the account is refused ' +
        'at once, on every node; false: they work again) with an optional `reason` when disabling. An admin cannot remove its own ' +
        'admin role nor disable itself (409): another admin must, so the server is never left without one. Admin role.',
      tags: ['admin'],
      security,
      params: idParams,
      body: {
        type: 'object',
        properties: {
          plan: { type: 'string', enum: PLANS },
          roles: { type: 'array', items: { type: 'string', enum: ROLES } },
          disabled: { type: 'boolean' },
          reason: { type: 'string', description: 'why it is disabled (with "disabled": true; 1–500 characters)' },
        },
        examples: [{ disabled: true, reason: 'left the company' }, { plan: 'pro', roles: ['analyst'] }],
      },
      response: { 200: accountSchema, 409: { $ref: 'Problem#' }, ...errorResponses },
    },
    handler: async (request) => accounts.updateAccount(actorOf(request), principalOf(request), (request.params as { id: string }).id, request.body),
  });
}
