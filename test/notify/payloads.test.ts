import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { backoffMs, MAX_ATTEMPTS } from '../../src/domain/webhooks.js';
import { defang, envelope, type EventData, renderBody, slackEscape } from '../../src/notify/payloads.js';
import { signature, verifySignature } from '../../src/notify/signature.js';

const AT = Date.UTC(2026, 4, 17, 12, 30);
const ID = '6f1d2c3b-4a59-4e8d-9c7b-1a2b3c4d5e6f';
const HOSTILE = [
  'http://evil.example/<script>alert(1)</script>',
  '<http://phish.example|click here>',
  'http://a.example/?q=1&x=<@U123>',
  'mail@evil.example',
  '**bold** [link](http://x.example)',
];

const sector = (values: string[], count = values.length): EventData['iocs.sector'] => ({
  source: { id: 'feed', name: 'Feed <b>&</b>' }, run: { id: 7, started_at: '2026-05-17T12:00:00.000Z', outcome: 'ok' }, count, count_capped: false,
  min_confidence: 70, sectors: ['energy'], iocs: values.map((v) => ({ type: 'url', value: v, score: 80, sectors: ['energy'] })),
});

/** Every string in a JSON value. */
function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  if (v && typeof v === 'object') return Object.values(v).flatMap(strings);
  return [];
}

describe('webhook bodies', () => {
  it('generic JSON: the envelope as is, values whole (bounded), parseable', () => {
    const body = JSON.parse(renderBody('json', envelope(ID, 'iocs.sector', AT, 'https://intel.example', sector(HOSTILE)))) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body), ['id', 'event', 'occurred_at', 'server', 'data']);
    assert.equal(body.id, ID);
    assert.equal(body.event, 'iocs.sector');
    assert.equal(body.occurred_at, '2026-05-17T12:30:00.000Z');
    assert.deepEqual((body.data as EventData['iocs.sector']).iocs.map((i) => i.value), HOSTILE, 'JSON carries values exactly (receivers parse, not render)');
    const long = JSON.parse(renderBody('json', envelope(ID, 'iocs.sector', AT, 's', sector([`http://x.example/${'a'.repeat(100_000)}`])))) as { data: EventData['iocs.sector'] };
    assert.ok(long.data.iocs[0]!.value.length <= 2048, 'a huge value is cut');
  });

  it('Slack: {text, blocks}; every value defanged and &, <, > escaped, so no link, mention or tag survives', () => {
    const raw = renderBody('slack', envelope(ID, 'iocs.sector', AT, 'https://intel.example', sector(HOSTILE)));
    const body = JSON.parse(raw) as { text: string; blocks: Array<{ type: string; text?: { type: string; text: string } }> };
    assert.equal(typeof body.text, 'string');
    assert.ok(body.blocks.length >= 2);
    for (const s of strings(body)) {
      assert.doesNotMatch(s, /[<>]/, `no raw angle bracket: ${s}`);
      assert.doesNotMatch(s.replace(/&(amp|lt|gt);/g, ''), /&/, `every & escaped: ${s}`);
    }
    const text = strings(body.blocks).join('\n');
    assert.match(text, /hxxp\[:\/\/\]evil\[\.\]example\/&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.match(text, /&lt;hxxp\[:\/\/\]phish\[\.\]example\|click here&gt;/, 'Slack link syntax is shown, not made a link');
    assert.match(text, /&lt;\[@\]U123&gt;/, 'no mention');
    assert.match(text, /mail\[@\]evil\[\.\]example/);
    const valueLines = text.split('\n').filter((l) => l.startsWith('• url'));
    assert.equal(valueLines.length, HOSTILE.length);
    for (const l of valueLines) assert.doesNotMatch(l, /https?:\/\/[a-z]/i, 'no clickable URL among the values');
    assert.match(body.text, /Feed &lt;b&gt;&amp;&lt;\/b&gt;/, 'the source name too');
    for (const b of body.blocks) if (b.text) assert.ok(b.text.text.length <= 3000, 'a section holds 3,000 characters at most');
  });

  it('Teams: a message with one Adaptive Card; values only in TextRuns (plain text), defanged', () => {
    const body = JSON.parse(renderBody('teams', envelope(ID, 'iocs.sector', AT, 'https://intel.example', sector(HOSTILE, 25)))) as {
      type: string; attachments: Array<{ contentType: string; content: { type: string; version: string; body: Array<{ type: string; inlines: Array<{ type: string; text: string }> }> } }>;
    };
    assert.equal(body.type, 'message');
    assert.equal(body.attachments.length, 1);
    const card = body.attachments[0]!;
    assert.equal(card.contentType, 'application/vnd.microsoft.card.adaptive');
    assert.equal(card.content.type, 'AdaptiveCard');
    assert.ok(card.content.body.every((e) => e.type === 'RichTextBlock' && e.inlines.every((i) => i.type === 'TextRun')), 'no TextBlock: nothing read as Markdown');
    const text = card.content.body.flatMap((e) => e.inlines.map((i) => i.text)).join('\n');
    assert.match(text, /hxxp\[:\/\/\]evil\[\.\]example\/<script>/, 'plain text keeps the characters, defanged');
    assert.match(text, /\*\*bold\*\* \[link\]\(hxxp\[:\/\/\]x\[\.\]example\)/);
    assert.match(text, /… and 20 more/, 'the count beyond the listed values');
    for (const l of text.split('\n').filter((x) => x.startsWith('url '))) assert.doesNotMatch(l, /https?:\/\/[a-z]/i);
  });

  it('every event renders in every format, bounded', () => {
    const source = { id: 'feed', name: 'Feed' };
    const run = { id: 1, started_at: '2026-05-17T12:00:00.000Z', outcome: 'failed' };
    const events: Array<[keyof EventData, EventData[keyof EventData]]> = [
      ['source.failing', { source, consecutive_failures: 3, threshold: 3, last_error: `http: ${'x'.repeat(5000)}`, run }],
      ['source.recovered', { source, failed_runs: 4, run }],
      ['source.stale', { source, last_success_at: '2026-05-10T00:00:00.000Z', schedule_seconds: 3600, stale_after_seconds: 10800 }],
      ['iocs.sector', sector(Array.from({ length: 20 }, (_, i) => `http://x${i}.example/${'p'.repeat(5000)}`), 5000)],
      ['allowlist.hit', { source, run, count: 2, values: [{ type: 'domain', value: 'cdn.partner.example', entry: '*.partner.example' }], entries: ['*.partner.example'] }],
      ['ping', { message: 'hello', webhook: { id: 1, name: 'soc' } }],
    ];
    for (const [event, data] of events) {
      for (const format of ['json', 'slack', 'teams'] as const) {
        const text = renderBody(format, envelope(ID, event, AT, 'https://intel.example', data));
        assert.doesNotThrow(() => JSON.parse(text));
        assert.ok(Buffer.byteLength(text) < 64 * 1024, `${event} as ${format}: ${Buffer.byteLength(text)} bytes`);
        if (format !== 'json') assert.match(text, new RegExp(event.replace('.', '\\.')), 'the event is named');
      }
    }
  });

  it('defang and slackEscape', () => {
    assert.equal(defang('https://evil.example/a.php'), 'hxxps[://]evil[.]example/a[.]php');
    assert.equal(defang('HTTP://x.example'), 'hxxp[://]x[.]example');
    assert.equal(defang('see <http://a.example|x>'), 'see <hxxp[://]a[.]example|x>', 'a URL inside the text too');
    assert.equal(defang('ftp://1.2.3.4/'), 'fxp[://]1[.]2[.]3[.]4/');
    assert.equal(defang('a@b.example'), 'a[@]b[.]example');
    assert.equal(defang('d41d8cd98f00b204e9800998ecf8427e'), 'd41d8cd98f00b204e9800998ecf8427e');
    assert.equal(slackEscape('<a&b>'), '&lt;a&amp;b&gt;');
  });
});

describe('signature and backoff', () => {
  it('x-socd-signature is HMAC-SHA256(secret, timestamp + "." + body) in hex, as a receiver recomputes it', () => {
    const secret = 'whsec_test_secret_0123456789';
    const body = '{"id":"x","event":"ping"}';
    const mine = `sha256=${createHmac('sha256', secret).update(`1747480000.${body}`).digest('hex')}`;
    assert.equal(signature(secret, '1747480000', body), mine);
    assert.equal(verifySignature(secret, '1747480000', body, mine), true);
    assert.equal(verifySignature(secret, '1747480001', body, mine), false, 'the timestamp is signed');
    assert.equal(verifySignature(secret, '1747480000', `${body} `, mine), false);
    assert.equal(verifySignature('other_secret_0123456789xx', '1747480000', body, mine), false);
    assert.equal(verifySignature(secret, '1747480000', body, undefined), false);
  });

  it('backoff: 30 s, 2 min, 10 min, 1 h, 6 h … with ±20 % jitter, then give up after MAX_ATTEMPTS', () => {
    assert.equal(backoffMs(1, () => 0.5), 30_000);
    assert.equal(backoffMs(1, () => 0), 24_000);
    assert.equal(backoffMs(1, () => 0.9999), Math.round(30_000 * (0.8 + 0.4 * 0.9999)));
    assert.equal(backoffMs(2, () => 0.5), 120_000);
    assert.equal(backoffMs(3, () => 0.5), 600_000);
    assert.equal(backoffMs(4, () => 0.5), 3_600_000);
    assert.equal(backoffMs(5, () => 0.5), 21_600_000);
    assert.equal(MAX_ATTEMPTS, 8);
    assert.ok(backoffMs(MAX_ATTEMPTS - 1, () => 0.5)! > 0);
    assert.equal(backoffMs(MAX_ATTEMPTS, () => 0.5), undefined);
  });
});
