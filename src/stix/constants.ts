/** STIX 2.1 media type (TAXII 2.1 §1.6.8.2) and the spec version we emit. */
export const STIX_MEDIA_TYPE = 'application/stix+json;version=2.1';
export const SPEC_VERSION = '2.1';
/** TAXII 2.1 media type (TAXII 2.1 §1.6.8.1): every TAXII answer, and what a TAXII feed is asked for. */
export const TAXII_MEDIA_TYPE = 'application/taxii+json;version=2.1';

/** The media type of a STIX object of this spec version (TAXII 2.1 §5.3 manifest-record `media_type`). */
export function stixMediaType(specVersion: string): string {
  return `application/stix+json;version=${specVersion}`;
}
