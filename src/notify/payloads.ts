import type { DeliveryEvent, WebhookFormat } from '../domain/webhooks.js';
import { isoMs } from '../domain/iso-time.js';

/**
 * The bodies of webhook deliveries (README "Webhooks", event reference). One envelope per notification; each format
 * renders it: generic JSON as is, Slack as `{text, blocks}` (mrkdwn), Teams (Workflows) as an Adaptive Card. IOC
 * values are hostile text: in chat formats they are defanged (so no client turns them into links) and escaped as the
 * format requires; every list and string is bounded, so a body stays far below the receivers' limits.
 */

/** Values listed per notification at most (the count is exact). */
export const MAX_LISTED = 20;
/** Characters of one value shown in a chat message (JSON carries up to MAX_JSON_VALUE). */
const MAX_CHAT_VALUE = 200;
const MAX_JSON_VALUE = 2048;

export interface SourceRef {
  id: string;
  name: string;
}

export interface RunRef {
  id: number | null;
  started_at: string;
  outcome: string;
}

/** What each event carries in `data` (snake_case, as the REST API). */
export interface EventData {
  'source.failing': { source: SourceRef; consecutive_failures: number; threshold: number; last_error: string | null; run: RunRef };
  'source.recovered': { source: SourceRef; failed_runs: number; run: RunRef };
  'source.stale': { source: SourceRef; last_success_at: string; schedule_seconds: number; stale_after_seconds: number };
  'iocs.sector': {
    source: SourceRef; run: RunRef; count: number; count_capped: boolean; min_confidence: number; sectors: string[];
    iocs: Array<{ type: string; value: string; score: number; sectors: string[] }>;
  };
  'allowlist.hit': { source: SourceRef; run: RunRef; count: number; values: Array<{ type: string; value: string; entry: string }>; entries: string[] };
  ping: { message: string; webhook: { id: number; name: string } };
}

export interface Envelope<E extends DeliveryEvent = DeliveryEvent> {
  /** The delivery's id (x-socd-delivery). */
  id: string;
  event: E;
  occurred_at: string;
  /** This server's public URL (SOCD_PUBLIC_URL), so a receiver fed by several servers tells them apart. */
  server: string;
  data: EventData[E];
}

export function envelope<E extends DeliveryEvent>(id: string, event: E, at: number, server: string, data: EventData[E]): Envelope<E> {
  return { id, event, occurred_at: isoMs(at), server, data };
}

const cut = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

/** JSON strings bounded: IOC values at MAX_JSON_VALUE characters, the rest as built (already bounded). */
function boundedJson(e: Envelope): string {
  return JSON.stringify(e, (k, v: unknown) => (typeof v === 'string' && (k === 'value' || k === 'last_error') ? cut(v, MAX_JSON_VALUE) : v));
}

/**
 * A value made unclickable as threat reports write it: `http` → `hxxp`, `.` → `[.]`, `@` → `[@]`, `://` → `[://]`
 * (every URL in it, not only a leading one).
 * Chat clients auto-link URLs and domains; a defanged one is read, never followed.
 */
export function defang(value: string): string {
  return value
    .replace(/([a-z][a-z0-9+.-]*):\/\//gi, (_m, scheme: string) => `${scheme.replace(/^http/i, 'hxxp').replace(/^ftp/i, 'fxp')}[://]`)
    .replace(/\./g, '[.]')
    .replace(/@/g, '[@]');
}

/** Slack mrkdwn: `&`, `<` and `>` are control characters (links, mentions); escaped as Slack documents. */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A chat line for a hostile value: bounded, defanged, without line breaks or control characters. */
function chatValue(v: string): string {
  return defang(cut(v.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, ' '), MAX_CHAT_VALUE));
}

/** The one-line summary of a notification, and its listed lines (values defanged, not yet escaped). */
function summary(e: Envelope): { title: string; lines: string[] } {
  switch (e.event) {
    case 'source.failing': {
      const d = e.data as EventData['source.failing'];
      return { title: `Source ${d.source.name} (${d.source.id}) is failing: ${d.consecutive_failures} runs in a row`, lines: d.last_error ? [`Last error: ${cut(d.last_error, 300)}`] : [] };
    }
    case 'source.recovered': {
      const d = e.data as EventData['source.recovered'];
      return { title: `Source ${d.source.name} (${d.source.id}) recovered after ${d.failed_runs} failed runs`, lines: [] };
    }
    case 'source.stale': {
      const d = e.data as EventData['source.stale'];
      return { title: `Source ${d.source.name} (${d.source.id}) is stale: no successful run since ${d.last_success_at}`, lines: [] };
    }
    case 'iocs.sector': {
      const d = e.data as EventData['iocs.sector'];
      const where = d.sectors.length ? ` in ${d.sectors.join(', ')}` : '';
      return {
        title: `${d.count_capped ? 'At least ' : ''}${d.count} new IOCs${where} with confidence ≥ ${d.min_confidence} from ${d.source.name}`,
        lines: d.iocs.map((i) => `${i.type} ${chatValue(i.value)} (score ${i.score}${i.sectors.length ? `, ${i.sectors.join(', ')}` : ''})`),
      };
    }
    case 'allowlist.hit': {
      const d = e.data as EventData['allowlist.hit'];
      return {
        title: `${d.count} allow-listed values seen again in ${d.source.name}`,
        lines: d.values.map((v) => `${v.type} ${chatValue(v.value)} (entry ${chatValue(v.entry)})`),
      };
    }
    case 'ping': {
      const d = e.data as EventData['ping'];
      return { title: `Test delivery to webhook ${d.webhook.name}`, lines: [d.message] };
    }
  }
}

function more(e: Envelope, listed: number): string | undefined {
  const count = e.event === 'iocs.sector' ? (e.data as EventData['iocs.sector']).count : e.event === 'allowlist.hit' ? (e.data as EventData['allowlist.hit']).count : 0;
  return count > listed ? `… and ${count - listed} more` : undefined;
}

/** Slack incoming webhook: `text` (notifications, fallback) and blocks; every dynamic text escaped. */
function slackBody(e: Envelope): object {
  const { title, lines } = summary(e);
  const tail = more(e, lines.length);
  const escaped = [...lines, ...(tail ? [tail] : [])].map((l) => `• ${slackEscape(l)}`);
  const blocks: object[] = [{ type: 'section', text: { type: 'mrkdwn', text: `*${slackEscape(cut(title, 280))}*` } }];
  // A section holds 3,000 characters at most: lines are packed into as many sections as needed.
  let chunk = '';
  for (const l of escaped) {
    if (chunk.length + l.length + 1 > 2900) {
      blocks.push({ type: 'section', text: { type: 'mrkdwn', text: chunk } });
      chunk = '';
    }
    chunk += (chunk ? '\n' : '') + l;
  }
  if (chunk) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: chunk } });
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: slackEscape(`${e.event} · ${e.occurred_at} · ${e.server} · delivery ${e.id}`) }] });
  return { text: slackEscape(cut(title, 280)), blocks };
}

/**
 * Teams Workflows ("When a Teams webhook request is received"): a message with one Adaptive Card attachment (the
 * Office 365 connectors' MessageCard is retired). Dynamic text goes in RichTextBlock TextRuns, which Teams renders
 * as plain text (no Markdown), so a value cannot become a link or format the card.
 */
function teamsBody(e: Envelope): object {
  const { title, lines } = summary(e);
  const tail = more(e, lines.length);
  const run = (text: string, extra: object = {}) => ({ type: 'RichTextBlock', inlines: [{ type: 'TextRun', text, ...extra }] });
  return {
    type: 'message',
    attachments: [{
      contentType: 'application/vnd.microsoft.card.adaptive',
      contentUrl: null,
      content: {
        $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
        type: 'AdaptiveCard',
        version: '1.4',
        body: [
          run(cut(title, 280), { weight: 'Bolder', size: 'Medium' }),
          ...[...lines, ...(tail ? [tail] : [])].map((l) => run(l, { fontType: 'Monospace' })),
          run(`${e.event} · ${e.occurred_at} · ${e.server} · delivery ${e.id}`, { isSubtle: true, size: 'Small' }),
        ],
      },
    }],
  };
}

/** The body text of a notification in a webhook's format: what is stored, signed and sent. */
export function renderBody(format: WebhookFormat, e: Envelope): string {
  switch (format) {
    case 'json':
      return boundedJson(e);
    case 'slack':
      return JSON.stringify(slackBody(e));
    case 'teams':
      return JSON.stringify(teamsBody(e));
  }
}
