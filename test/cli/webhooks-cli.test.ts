import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SOCD } from '../support/socd-process.js';

function workdir(extra: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'socd-webhooks-cli-'));
  const env = { ...process.env, DATABASE_URL: `sqlite:${join(dir, 'socd.db')}`, SOCD_CONFIG: '', LOG_LEVEL: 'warn', SOCD_SCHEDULER: 'off', ...extra };
  const socd = (...args: string[]) => spawnSync(process.execPath, [SOCD, ...args], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
  return { dir, socd };
}

describe('socd webhooks', () => {
  it('add prints the id and the secret once; list never shows it; bad input and private targets exit 2; remove', () => {
    const { socd } = workdir({ SOCD_WEBHOOK_ALLOW_PRIVATE: '10.20.0.0/16' });
    const refused = socd('webhooks', 'add', 'lab', 'https://10.9.0.1/hook', '--events', 'source.failing');
    assert.equal(refused.status, 2, refused.stderr);
    assert.match(refused.stderr, /url: refused: 10\.9\.0\.1 is a private address/);
    const badEvent = socd('webhooks', 'add', 'lab', 'https://10.20.0.5/hook', '--events', 'source.failing,nope');
    assert.equal(badEvent.status, 2);
    assert.match(badEvent.stderr, /events/);

    const added = socd('webhooks', 'add', 'lab', 'http://10.20.0.5/hook', '--events', 'source.failing,iocs.sector', '--sectors', 'energy', '--min-confidence', '90', '--format', 'slack');
    assert.equal(added.status, 0, added.stderr);
    const id = added.stdout.trim();
    assert.match(id, /^\d+$/, 'the id alone on stdout');
    const secret = /\n(whsec_[A-Za-z0-9_-]+)\n/.exec(added.stderr)?.[1];
    assert.ok(secret, added.stderr);

    const listed = socd('webhooks', 'list');
    assert.match(listed.stdout, /^ID\s+NAME\s+OWNER\s+FORMAT/);
    assert.match(listed.stdout, new RegExp(`^${id}\\s+lab\\s+global\\s+slack\\s+source\\.failing,iocs\\.sector\\s+yes\\s+-`, 'm'));
    const json = JSON.parse(socd('webhooks', 'list', '--json').stdout) as Array<{ id: number; sectors: string[]; min_confidence: number; url: string }>;
    assert.deepEqual(json.map((w) => [w.id, w.sectors, w.min_confidence, w.url]), [[Number(id), ['energy'], 90, 'http://10.20.0.5/hook']]);
    assert.ok(!socd('webhooks', 'list', '--json').stdout.includes(secret!), 'never the secret');

    const audit = socd('audit', '--json');
    assert.match(audit.stdout, /webhook\.create/);
    assert.ok(!audit.stdout.includes(secret!), 'nor in the audit trail');

    assert.equal(socd('webhooks', 'remove', id).status, 0);
    const again = socd('webhooks', 'remove', id);
    assert.equal(again.status, 2);
    assert.match(again.stderr, /no webhook/);
  });
});
