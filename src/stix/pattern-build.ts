/**
 * STIX 2.1 indicator patterns (§9, STIX Patterning) for the IOC types we store, built: `buildPattern` renders one
 * comparison per IOC exactly as the table in docs/stix-mapping.md §4 (STIX 2.1 §4.7 indicator, §9.2 string constants).
 * Reading patterns back is pattern-parse.ts.
 */
import { IOC_TYPES, type IocType } from '../domain/ioc-types.js';

export type PatternIocType = Exclude<IocType, 'cve'>;

/** Every IOC type that becomes an indicator; cve becomes a vulnerability and has no pattern. */
export const PATTERN_TYPES: readonly PatternIocType[] = Object.freeze(IOC_TYPES.filter((t): t is PatternIocType => t !== 'cve'));

// Hash names containing '-' must be quoted: an unquoted path component is an identifier without hyphen (§9).
const OBJECT_PATHS: Readonly<Record<PatternIocType, string>> = Object.freeze({
  ipv4: 'ipv4-addr:value',
  ipv6: 'ipv6-addr:value',
  domain: 'domain-name:value',
  url: 'url:value',
  md5: 'file:hashes.MD5',
  sha1: "file:hashes.'SHA-1'",
  sha256: "file:hashes.'SHA-256'",
  email: 'email-addr:value',
});

/**
 * STIX 2.1 §9.2 string constant: wrapped in single quotes, and the only escapes are `\\` and `\'`.
 * Backslash must be escaped first, otherwise the backslashes introduced for quotes would be doubled.
 */
export function quoteStringLiteral(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * Renders the single-comparison pattern for one IOC (STIX 2.1 §9.2 escaping). The value is written as given:
 * callers validate and normalize IOCs before they reach STIX, so this function cannot second-guess them.
 */
export function buildPattern(type: PatternIocType, value: string): string {
  // Runtime guard for untyped callers: a 'cve' or a typo must not silently produce `[undefined = …]`.
  if (!Object.hasOwn(OBJECT_PATHS, type)) throw new TypeError(`no STIX pattern for IOC type '${String(type)}'`);
  if (typeof value !== 'string') throw new TypeError('pattern value must be a string');
  return `[${OBJECT_PATHS[type]} = ${quoteStringLiteral(value)}]`;
}
