/**
 * Errors with stable codes. Thrown anywhere below http/, mapped to an HTTP answer in one place
 * (http/rest-errors.ts, http/taxii-errors.ts): a JSON problem on REST routes, a TAXII error resource on TAXII routes.
 */
export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export class InvalidParameterError extends AppError {
  constructor(parameter: string, message: string, allowed?: readonly string[] | string) {
    super(400, 'invalid_parameter', `${parameter}: ${message}`, allowed === undefined ? { parameter } : { parameter, allowed });
  }
}

export class UnauthorizedError extends AppError {
  constructor(message: string) {
    super(401, 'unauthorized', message);
  }
}

/** A change sent with the console's session cookie but without its CSRF token (auth/console-sessions.ts). */
export class CsrfError extends AppError {
  constructor() {
    super(403, 'csrf_token_invalid', 'a change sent with the console session needs its X-CSRF-Token header (the csrf_token of POST or GET /api/v1/session)');
  }
}

export class PlanRequiredError extends AppError {
  constructor(feature: string, plan = 'pro') {
    super(403, 'plan_required', `${feature} needs the ${plan === 'pro' ? 'Pro' : plan} plan; upgrade the account's plan to ${plan} to use it`, { required_plan: plan });
  }
}

/** The account lacks the role a route needs (domain/roles.ts): the 403 names it. */
export class RoleRequiredError extends AppError {
  constructor(action: string, role: string) {
    super(403, 'role_required', `${action} needs the ${role} role; an administrator can grant it to the account`, { required_role: role });
  }
}

export class NotFoundError extends AppError {
  constructor(message: string) {
    super(404, 'not_found', message);
  }
}

/** A request carries more than its limit allows (a look-up batch over the plan's size). */
export class TooLargeError extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(413, 'too_large', message, details);
  }
}

/** A body in a media type the route does not read. */
export class UnsupportedMediaTypeError extends AppError {
  constructor(message: string, supported: readonly string[]) {
    super(415, 'unsupported_media_type', message, { supported });
  }
}
