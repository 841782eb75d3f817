import type { FastifyInstance, FastifyRequest } from 'fastify';
import { InvalidParameterError } from '../errors/app-error.js';
import { COMMA_LIST_PARAMETERS } from './schemas.js';

const SHOWN_VALUES = 5;
const shorten = (s: string) => (s.length > 64 ? `${s.slice(0, 64)}…` : s);

/**
 * A query parameter that takes one value but was given several times (`?type=ipv4&type=domain`) gets a 400 problem
 * that says so — and, for a parameter that takes a list, shows the comma-separated form — instead of the schema
 * validator's "querystring.type must be string". Runs before validation on every route of the scope; parameters the
 * route does not declare are left to the route (its "unknown parameter" answer is the better one).
 */
export function rejectRepeatedParameters(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const query = request.query as Record<string, unknown> | null | undefined;
    if (!query || typeof query !== 'object') return;
    const declared = declaredParameters(request);
    for (const [name, value] of Object.entries(query)) {
      if (!Array.isArray(value) || declared.get(name) !== 'single') continue;
      throw repeated(name, value.map(String));
    }
  });
}

export function repeated(name: string, values: readonly string[]): InvalidParameterError {
  const times = values.length === 2 ? 'twice' : `${values.length} times`;
  const shown = values.slice(0, SHOWN_VALUES).map(shorten).join(', ') + (values.length > SHOWN_VALUES ? ', …' : '');
  const fix = COMMA_LIST_PARAMETERS.has(name)
    ? `give it once, with a comma-separated list: ${name}=${values.slice(0, SHOWN_VALUES).map(shorten).join(',')}${values.length > SHOWN_VALUES ? ',…' : ''}`
    : 'give it once';
  return new InvalidParameterError(name, `given ${times} (${shown}); ${fix}`);
}

/** The route's query parameters: `single` unless its schema says the parameter is an array. */
function declaredParameters(request: FastifyRequest): Map<string, 'single' | 'array'> {
  const schema = request.routeOptions.schema?.querystring as { properties?: Record<string, { type?: unknown }> } | undefined;
  const out = new Map<string, 'single' | 'array'>();
  for (const [name, prop] of Object.entries(schema?.properties ?? {})) {
    const types = Array.isArray(prop.type) ? prop.type : [prop.type];
    out.set(name, types.includes('array') ? 'array' : 'single');
  }
  return out;
}
