/** One day in milliseconds: validity windows, decay lifetimes, feed look-back and URL-template offsets count in days. */
export const DAY_MS = 86_400_000;
