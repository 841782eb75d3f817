/** A TAXII error (§3.6.1): answered as an error resource whose `http_status` is the status as a string. */
export class TaxiiError extends Error {
  override name = 'TaxiiError';
  constructor(
    readonly status: number,
    readonly title: string,
    readonly description: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(`${title}: ${description}`);
  }

  resource(): Record<string, unknown> {
    return {
      title: this.title,
      description: this.description,
      http_status: String(this.status),
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

export const badRequest = (description: string, details?: Record<string, unknown>) => new TaxiiError(400, 'Bad Request', description, details);
export const unauthorized = (description: string) => new TaxiiError(401, 'Unauthorized', description);
export const forbidden = (description: string) => new TaxiiError(403, 'Forbidden', description);
export const notFound = (description: string) => new TaxiiError(404, 'Not Found', description);
export const notAcceptable = () =>
  new TaxiiError(406, 'Not Acceptable', 'this server answers application/taxii+json;version=2.1; send it (or */*) in Accept');
