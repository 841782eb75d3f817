/** An IOC as GET /api/v1/iocs and GET /api/v1/iocs/{id} answer it (the REST representation). */
export interface Ioc {
  id: string;
  type: string;
  value: string;
  confidence: string;
  score: number;
  first_seen: string;
  last_seen: string;
  added_at: string;
  sources: string[];
  tags: string[];
  malware: string[];
  sectors: string[];
  tlp: string;
  status: string;
  valid_until: string | null;
}

/** GET /api/v1/iocs/{id}: the IOC with its sightings per source. */
export interface IocDetail extends Ioc {
  sightings: Array<{
    source: string;
    first_seen: string;
    last_seen: string;
    count: number;
    confidence: number | null;
    reference: string | null;
    ended_at: string | null;
  }>;
}

/** The console path of an IOC's detail page (built from its id or value; always encoded, never a URL from data). */
export function iocPath(idOrValue: string): string {
  return `/iocs/${encodeURIComponent(idOrValue)}`;
}
