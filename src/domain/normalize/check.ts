import type { IocType } from '../ioc-types.js';

/** What normalization answers: the canonical value, or why the raw value is not one. */
export type Normalized = { ok: true; type: IocType; value: string } | { ok: false; reason: string };

/** Result of an internal step: `why` is the bare problem, the caller prefixes the value. */
export type Check<T = string> = { ok: true; value: T } | { ok: false; why: string };
export type Failure = { ok: false; why: string };

export const pass = <T>(value: T): Check<T> => ({ ok: true, value });
export const fail = (why: string): Failure => ({ ok: false, why });
