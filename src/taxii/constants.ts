/** TAXII 2.1 constants in one place (TAXII 2.1 §1.6.8 media types, §3.3 headers, §3.5 paging). */
export const TAXII_VERSION = '2.1';
export const HEADER_DATE_ADDED_FIRST = 'X-TAXII-Date-Added-First';
export const HEADER_DATE_ADDED_LAST = 'X-TAXII-Date-Added-Last';

/** ours (docs/taxii-conformance.md §5): default and largest page. */
export const DEFAULT_PAGE_LIMIT = 1000;
export const MAX_PAGE_LIMIT = 10_000;

/** §3.6.1 with docs/taxii-conformance.md §2: Basic for taxii2-client and Sentinel, Bearer for our keys. */
export const WWW_AUTHENTICATE = 'Basic realm="SOC Defenders TAXII", charset="UTF-8", Bearer realm="SOC Defenders TAXII"';
