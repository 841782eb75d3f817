/**
 * Confidence bands of the API and their STIX integers (STIX 2.1 Appendix A, None/Low/Med/High scale).
 * A stored IOC has an integer score 0–100; its band derives from it and is never stored.
 */
export const CONFIDENCE_BANDS = ['low', 'medium', 'high'] as const;
export type ConfidenceBand = (typeof CONFIDENCE_BANDS)[number];

export const BAND_RANGES: Record<ConfidenceBand, { min: number; max: number; canonical: number }> = {
  low: { min: 0, max: 29, canonical: 15 },
  medium: { min: 30, max: 69, canonical: 50 },
  high: { min: 70, max: 100, canonical: 85 },
};

export function bandOf(score: number): ConfidenceBand {
  if (score >= BAND_RANGES.high.min) return 'high';
  if (score >= BAND_RANGES.medium.min) return 'medium';
  return 'low';
}

export function isConfidenceBand(value: string): value is ConfidenceBand {
  return (CONFIDENCE_BANDS as readonly string[]).includes(value);
}

/** The bands with their score ranges, as the API documents them: `low 0–29, medium 30–69, high 70–100`. */
export function describeBands(): string {
  return CONFIDENCE_BANDS.map((b) => `${b} ${BAND_RANGES[b].min}–${BAND_RANGES[b].max}`).join(', ');
}
