import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The signature of a delivery (README "Webhooks", verifying a delivery): HMAC-SHA256 with the webhook's secret over
 * `<x-socd-timestamp>.<body>`, sent as `x-socd-signature: sha256=<hex>`. The timestamp (epoch seconds) is signed
 * too, so a receiver that refuses old timestamps cannot be fed a replayed body.
 */
export function signature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** What a receiver does: recompute and compare in constant time. */
export function verifySignature(secret: string, timestamp: string, body: string, header: string | undefined): boolean {
  if (!header) return false;
  const want = Buffer.from(signature(secret, timestamp, body));
  const got = Buffer.from(header);
  return want.length === got.length && timingSafeEqual(want, got);
}
