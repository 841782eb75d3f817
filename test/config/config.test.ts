import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/config.js';

const emptyDir = () => mkdtempSync(join(tmpdir(), 'socd-config-'));

describe('loadConfig', () => {
  it('has working defaults with no environment and no file', () => {
    const c = loadConfig({}, emptyDir());
    assert.equal(c.port, 8080);
    assert.equal(c.host, '0.0.0.0');
    assert.equal(c.databaseUrl, 'sqlite:./data/socd.db');
    assert.equal(c.secret, undefined);
    assert.equal(c.configFile, undefined);
    assert.deepEqual(c.plans.free, { rateLimit: { max: 60, windowMs: 60_000 }, lookupBatch: 100, submitBatch: 100 });
    assert.deepEqual(c.rest, { defaultLimit: 100, maxLimit: 1000 });
    assert.equal(c.pgPoolSize, undefined, 'the store picks: the cores of the machine, at least 2');
    assert.equal(loadConfig({ SOCD_PG_POOL_SIZE: '6' }, emptyDir()).pgPoolSize, 6);
    assert.equal(c.redisPrefix, 'socd:');
    assert.equal(loadConfig({ SOCD_REDIS_PREFIX: 'team-a:' }, emptyDir()).redisPrefix, 'team-a:');
    assert.equal(c.sessionHours, 12);
    assert.equal(loadConfig({ SOCD_SESSION_HOURS: '2' }, emptyDir()).sessionHours, 2);
  });

  it('reads socd.config.json, and the environment wins over it', () => {
    const dir = emptyDir();
    writeFileSync(join(dir, 'socd.config.json'), JSON.stringify({
      server: { port: 9000, host: '127.0.0.1' },
      plans: { pro: { rateLimit: { max: 1200, windowSeconds: 30 } }, free: { lookupBatch: 50 } },
      sources: { urlhaus: { enabled: false } },
    }));
    const c = loadConfig({ PORT: '9100' }, dir);
    assert.equal(c.port, 9100);
    assert.equal(c.host, '127.0.0.1');
    assert.deepEqual(c.plans.pro.rateLimit, { max: 1200, windowMs: 30_000 });
    assert.deepEqual(c.plans.free.rateLimit, { max: 60, windowMs: 60_000 });
    assert.equal(c.plans.free.lookupBatch, 50);
    assert.equal(c.plans.pro.lookupBatch, 10_000, 'the default look-up batch of a plan the file leaves out');
    assert.deepEqual(c.file.sources, { urlhaus: { enabled: false } });
    assert.equal(c.configFile, join(dir, 'socd.config.json'));
  });

  it('refuses bad values with a message naming them', () => {
    const dir = emptyDir();
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ PORT: '80a' }, /PORT must be an integer from 0 to 65535/],
      [{ PORT: '70000' }, /PORT/],
      [{ SOCD_SECRET: 'short' }, /SOCD_SECRET must be at least 32 characters/],
      [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of/],
      [{ TRUST_PROXY: 'maybe' }, /TRUST_PROXY must be true or false/],
      [{ SOCD_REDIS_PREFIX: 'has space' }, /SOCD_REDIS_PREFIX must be 1–64 characters/],
      [{ SOCD_SESSION_HOURS: '0' }, /SOCD_SESSION_HOURS/],
      [{ SOCD_PG_POOL_SIZE: '0' }, /SOCD_PG_POOL_SIZE/],
      [{ SOCD_PG_POOL_SIZE: 'ten' }, /SOCD_PG_POOL_SIZE/],
      [{ SOCD_CONFIG: join(dir, 'missing.json') }, /cannot read config file/],
    ];
    for (const [env, message] of cases) assert.throws(() => loadConfig(env, dir), (e: unknown) => e instanceof ConfigError && message.test(e.message), JSON.stringify(env));
    const bad = (name: string, text: string, message: RegExp) => {
      writeFileSync(join(dir, name), text);
      assert.throws(() => loadConfig({ SOCD_CONFIG: name }, dir), message);
    };
    bad('a.json', '{ nope', /is not valid/);
    bad('b.json', '[1, 2]', /top level must be a JSON object/);
    bad('c.json', '{"plans": {"gold": {}}}', /plans\.gold: unknown plan/);
    bad('d.json', '{"plans": {"pro": {"rateLimit": {"max": 0}}}}', /plans\.pro\.rateLimit\.max/);
    bad('d2.json', '{"plans": {"free": {"lookupBatch": 0}}}', /plans\.free\.lookupBatch must be an integer from 1 to 100000/);
    bad('d3.json', '{"plans": {"pro": {"submitBatch": 50001}}}', /plans\.pro\.submitBatch must be an integer from 1 to 50000/);
    bad('e.json', '{"taxii": {"roots": [{"name": "api", "title": "x"}]}}', /taxii\.roots\[0\]\.name/);
    bad('f.json', '{"taxii": {"collections": [{"id": "5b9e7a3c-2f41-4d8e-9c6a-1e2f3a4b5c6d", "alias": "x", "title": "X", "root": "nope"}]}}', /root must be api or a root of taxii\.roots/);
    bad('g.json', '{"taxii": {"collections": [{"id": "not-a-uuid", "alias": "x", "title": "X"}]}}', /id must be a lowercase UUIDv4/);
    bad('h.json', '{"taxii": {"maxPageLimit": 10, "defaultPageLimit": 50}}', /taxii\.defaultPageLimit/);
    bad('i.json', '{"stix": {"identity": {"id": "identity--1"}}}', /stix\.identity\.id/);
  });

  it("TAXII grants take roles, and 'admin' among the plans (the former plan) as the admin role; plans.admin sets the admin role's limits", () => {
    const dir = emptyDir();
    writeFileSync(join(dir, 'socd.config.json'), JSON.stringify({
      plans: { admin: { rateLimit: { max: 9000, windowSeconds: 60 } } },
      taxii: { collections: [
        { id: '5b9e7a3c-2f41-4d8e-9c6a-1e2f3a4b5c6d', alias: 'share', title: 'Share', read: { plans: ['pro', 'admin'] }, write: { roles: ['analyst'], accounts: ['Lead@Example.com'] } },
        { id: '6c9e7a3c-2f41-4d8e-9c6a-1e2f3a4b5c6d', alias: 'defaults', title: 'Defaults' },
      ] },
    }));
    const c = loadConfig({}, dir);
    assert.equal(c.plans.admin.rateLimit.max, 9000);
    assert.deepEqual(c.taxii.collections[0]!.read, { plans: ['pro', 'admin'], roles: [], accounts: [] });
    assert.deepEqual(c.taxii.collections[0]!.write, { plans: [], roles: ['analyst'], accounts: ['lead@example.com'] });
    assert.deepEqual(c.taxii.collections[1]!.read, { plans: ['pro'], roles: ['admin'], accounts: [] }, 'by default: Pro accounts and admins read');
    assert.deepEqual(c.taxii.collections[1]!.write, { plans: [], roles: ['admin'], accounts: [] }, 'by default: admins write');
    writeFileSync(join(dir, 'socd.config.json'), JSON.stringify({ taxii: { collections: [{ id: '5b9e7a3c-2f41-4d8e-9c6a-1e2f3a4b5c6d', alias: 'x', title: 'X', write: { roles: ['boss'] } }] } }));
    assert.throws(() => loadConfig({}, dir), /write\.roles must be a list of submitter, analyst, admin/);
  });
});

describe('metrics settings (SOCD_METRICS_TOKEN, SOCD_METRICS_ALLOW)', () => {
  const base = { DATABASE_URL: 'sqlite::memory:' };
  it('are off by default; a token and a list of addresses and CIDRs are read', () => {
    const off = loadConfig(base, '/nonexistent').metrics;
    assert.equal(off.token, undefined);
    assert.deepEqual(off.allow, []);
    const on = loadConfig({ ...base, SOCD_METRICS_TOKEN: 'a'.repeat(32), SOCD_METRICS_ALLOW: '10.0.0.0/8, 192.0.2.7,::1' }, '/nonexistent').metrics;
    assert.equal(on.token, 'a'.repeat(32));
    assert.deepEqual(on.allowText, ['10.0.0.0/8', '192.0.2.7', '::1']);
    assert.deepEqual(on.allow.map((r) => [r.v6, r.prefix]), [[false, 8], [false, 32], [true, 128]]);
  });
  it('refuse a short or spaced token and an entry that is not an address or CIDR, naming the setting', () => {
    for (const env of [{ SOCD_METRICS_TOKEN: 'short' }, { SOCD_METRICS_TOKEN: 'with space '.repeat(3) }, { SOCD_METRICS_ALLOW: '10.0.0.0/33' }, { SOCD_METRICS_ALLOW: 'example.com' }, { SOCD_METRICS_ALLOW: '10.0.0.1,,' }]) {
      assert.throws(() => loadConfig({ ...base, ...env }, '/nonexistent'), (e: unknown) => e instanceof ConfigError && /SOCD_METRICS_(TOKEN|ALLOW)/.test(e.message), JSON.stringify(env));
    }
  });
});
