import { setImmediate as nextTurn } from 'node:timers/promises';
import { schemaErrors } from '../stix/schema-validator.js';
import { STIX_IDENTIFIER, specVersionOf, versionOf } from '../stix/object-version.js';
import { checkPatternGrammar } from '../stix/pattern-grammar.js';
import type { TaxiiStore } from '../store/store.js';
import type { AddOutcome, NewObject } from '../store/types.js';
import { parseJsonInTurns } from './envelope-text.js';
import { TaxiiError } from './errors.js';

/** What the HTTP layer hands over of an add-objects request: headers and the unread body. */
export interface AddObjectsRequest {
  contentType: string | undefined;
  contentLength: number | undefined;
  body: AsyncIterable<Buffer | string>;
}

export interface Failure {
  id: string;
  version?: string;
  message: string;
}

const MEDIA = /^application\/taxii\+json\s*(;\s*version\s*=\s*"?2\.1"?\s*)?$/i;
const MAX_OBJECTS = 100_000;
/**
 * Objects checked between two turns of the event loop, so that a large POST does not hold up other clients: at most
 * this many, and fewer once TURN_MS have passed (a schema and pattern check costs 0.1–0.6 ms an object).
 */
const CHECKS_PER_TURN = 250;
const TURN_MS = 10;
/** Objects stored per transaction, for the same reason (one transaction holds the thread while it runs). */
export const OBJECTS_PER_TRANSACTION = 250;

/** What one object may be (README "Security"; config `taxii.maxObjectBytes`, `taxii.maxObjectDepth`). */
export interface ObjectLimits {
  /** Largest object, as UTF-8 JSON: a bigger one is refused, so that no stored object can swell a page. */
  maxObjectBytes: number;
  /** Deepest nesting of objects and arrays inside one object (the object itself is 1). */
  maxObjectDepth: number;
}

export const DEFAULT_OBJECT_LIMITS: ObjectLimits = { maxObjectBytes: 1024 * 1024, maxObjectDepth: 32 };

/** §5.5: the media type (415), the size (413, before and while reading), then the envelope (422). */
export async function validateEnvelope(
  request: AddObjectsRequest,
  maxContentLength: number,
  limits: ObjectLimits = DEFAULT_OBJECT_LIMITS,
): Promise<{ valid: Array<{ object: NewObject; version: string | null }>; failures: Failure[] }> {
  if (!request.contentType || !MEDIA.test(request.contentType.trim())) {
    throw new TaxiiError(415, 'Unsupported Media Type', 'send the envelope as application/taxii+json;version=2.1');
  }
  if (request.contentLength !== undefined && request.contentLength > maxContentLength) {
    throw new TaxiiError(413, 'Payload Too Large', `the body is larger than max_content_length (${maxContentLength} bytes)`);
  }
  // Kept as the chunks it arrived in (envelope-text.ts): joined into one buffer and decoded at once, a 7 MB envelope
  // held the thread for 40 ms.
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request.body) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += b.length;
    if (size > maxContentLength) throw new TaxiiError(413, 'Payload Too Large', `the body is larger than max_content_length (${maxContentLength} bytes)`);
    chunks.push(b);
  }
  let doc: unknown;
  try {
    doc = await parseJsonInTurns(chunks);
  } catch (err) {
    throw new TaxiiError(422, 'Unprocessable Content', `the body is not JSON: ${(err as Error).message}`);
  }
  // ours (docs/taxii-conformance.md §3): a STIX bundle is accepted as well as an envelope.
  const objects = typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? (doc as { objects?: unknown }).objects : undefined;
  if (!Array.isArray(objects)) throw new TaxiiError(422, 'Unprocessable Content', 'the body must be a TAXII envelope (or a STIX bundle) with an "objects" list');
  if (objects.length > MAX_OBJECTS) throw new TaxiiError(422, 'Unprocessable Content', `at most ${MAX_OBJECTS} objects per request`);
  const valid: Array<{ object: NewObject; version: string | null }> = [];
  const failures: Failure[] = [];
  let turn = performance.now();
  for (let i = 0, since = 0; i < objects.length; i++, since++) {
    if (since >= CHECKS_PER_TURN || performance.now() - turn >= TURN_MS) {
      await nextTurn();
      turn = performance.now();
      since = 0;
    }
    const checked = checkObject(objects[i], limits);
    if ('message' in checked) failures.push(checked);
    else valid.push(checked);
  }
  return { valid, failures };
}

/**
 * Stores the valid objects of one request in transactions of OBJECTS_PER_TRANSACTION, with a turn of the event loop
 * between two: a 20,000-object POST no longer holds every other client for the whole write. The outcomes are those of
 * one transaction: a transaction sees what the earlier ones committed, so an object repeated within the request is
 * still a duplicate. A request cut short (a crash) keeps the slices already committed.
 */
export async function storeObjects(
  store: Pick<TaxiiStore, 'addObjects'>, collection: string, objects: readonly NewObject[], now: number,
): Promise<AddOutcome[]> {
  const outcomes: AddOutcome[] = [];
  for (let at = 0; at < objects.length; at += OBJECTS_PER_TRANSACTION) {
    if (at > 0) await nextTurn();
    outcomes.push(...(await store.addObjects(collection, objects.slice(at, at + OBJECTS_PER_TRANSACTION), now)));
  }
  return outcomes;
}

/** How deeply objects and arrays nest in a parsed JSON value (a scalar is 0), without recursion. */
export function jsonDepth(value: unknown, stopAbove = Number.POSITIVE_INFINITY): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > deepest) deepest = depth;
    if (deepest > stopAbove) return deepest;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return deepest;
}

/**
 * One object: a STIX id, spec version 2.1 (an SCO may leave it out; an SDO or SRO without it is STIX 2.0, which a
 * collection of application/stix+json;version=2.1 does not take), a readable version, the OASIS schema of its type,
 * and a parsable pattern for indicators. Objects without `modified` (SCOs) are versioned by `created`, else by the
 * time they are added (TAXII 2.1 §5.3).
 */
function checkObject(raw: unknown, limits: ObjectLimits): { object: NewObject; version: string | null } | Failure {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { id: 'unknown', message: 'not a JSON object' };
  const o = raw as Record<string, unknown>;
  const id = typeof o.id === 'string' && STIX_IDENTIFIER.test(o.id) ? o.id : undefined;
  if (!id) return { id: typeof o.id === 'string' ? o.id.slice(0, 200) : 'unknown', message: 'id must be a STIX identifier (type--uuid)' };
  const versionText = typeof o.modified === 'string' ? o.modified : typeof o.created === 'string' ? o.created : undefined;
  const fail = (message: string): Failure => ({ id, ...(versionText ? { version: versionText.slice(0, 64) } : {}), message });
  // Depth first (the schema validator and JSON writers recurse), then size.
  if (jsonDepth(o, limits.maxObjectDepth) > limits.maxObjectDepth) {
    return fail(`nested deeper than ${limits.maxObjectDepth} levels of objects and arrays (the server's maxObjectDepth)`);
  }
  const json = JSON.stringify(o);
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > limits.maxObjectBytes) return fail(`${bytes} bytes: larger than the ${limits.maxObjectBytes} bytes an object may have (the server's maxObjectBytes)`);
  if (!id.startsWith(`${String(o.type)}--`)) return fail('the id must start with the object type');
  const spec = specVersionOf(o);
  if (spec !== '2.1') {
    return fail(o.spec_version === undefined
      ? 'no spec_version: an SDO or SRO without one is STIX 2.0, and this collection takes STIX 2.1 (application/stix+json;version=2.1)'
      : 'spec_version must be "2.1": this collection takes STIX 2.1 (application/stix+json;version=2.1)');
  }
  const version = versionOf(o);
  if (version !== null && Number.isNaN(version)) return fail('modified (or created) is not a timestamp');
  const errors = schemaErrors(o);
  if (errors.length) return fail(`not valid STIX 2.1: ${errors.slice(0, 3).join('; ')}`);
  if (o.type === 'indicator' && o.pattern_type === 'stix') {
    // The whole STIX 2.1 Patterning grammar (§9) with its literal, qualifier and hash checks: what a consumer's
    // parser would refuse is refused here, with the reason.
    const checked = checkPatternGrammar(String(o.pattern));
    if (!checked.ok) return fail(`pattern: ${checked.reason}`);
  }
  return {
    object: { stixId: id, type: String(o.type), modified: version, specVersion: spec, json },
    version: version === null ? null : new Date(version).toISOString(),
  };
}
