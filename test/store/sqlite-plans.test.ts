import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { BlocklistQuery, IocQuery } from '../../src/store/types.js';
import { observation, source } from '../support/builders.js';
import { type BlocklistDrive, blocklistPageSql } from '../../src/store/blocklist-select.js';
import { type PositionForm, readPastPosition } from '../../src/store/position-seek.js';
import { runIocsSql } from '../../src/store/webhook-rows.js';
import { sqliteStore, type TestStore } from '../support/stores.js';

type Statement = ReturnType<SqliteStore['conn']['db']['prepare']>;

/**
 * `st`, telling `ran` each time it is run (all, get, run) with the values it runs with. pluck(), raw() and the like
 * return the statement: the wrapped one again.
 */
function reporting(st: Statement, ran: (params: unknown[]) => void): Statement {
  const wrapped: Statement = new Proxy(st, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const call = value as (...a: unknown[]) => unknown;
      if (prop === 'all' || prop === 'get' || prop === 'run') return (...params: unknown[]) => (ran(params), call.apply(target, params));
      return (...a: unknown[]) => {
        const r = call.apply(target, a);
        return r === target ? wrapped : r;
      };
    },
  });
  return wrapped;
}

/** Records every statement the store's read paths prepare through `conn.statement`, with the values it runs with. */
function recordStatements(store: TestStore<SqliteStore>, into: Map<string, unknown[]>): () => void {
  const conn = store.conn;
  const statement = conn.statement.bind(conn);
  conn.statement = ((sql: string, mode?: 'objects' | 'raw' | 'pluck') => reporting(statement(sql, mode), (params) => into.set(sql, params))) as typeof conn.statement;
  return () => {
    conn.statement = statement;
  };
}

/** The steps of `sql`'s plan on the store's database. */
const planOf = (store: TestStore<SqliteStore>, sql: string, params: unknown[]): string[] =>
  (store.conn.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((r) => r.detail);

/**
 * The query plans of the REST-order walk on SQLite (ioc-select.ts), for every combination of filters the API passes:
 * the walk is driven by the index of its order, never by a sort. Without statistics SQLite picks a plan from the
 * schema and the LIMIT alone, so a small database shows the plan a large one gets. A sort is a scan of every matching
 * IOC on the event loop: `limit=1` at 1M IOCs, driven by the partial index iocs_blocklist, took 3.1 s.
 */
describe('SQLite: the plans of the IOC walk', () => {
  let store: TestStore<SqliteStore>;
  const statements = new Map<string, unknown[]>();

  before(async () => {
    store = await sqliteStore();
    // Enough IOCs that a walk read in windows (scan-window.ts, from 64 entries) bounds them: its windows' SQL is planned too.
    await store.upsertSource(source({ id: 'feed' }));
    await store.upsertObservations('feed', Array.from({ length: 300 }, (_, i) => observation({ type: i % 2 ? 'domain' : 'ipv4', value: i % 2 ? `p${i}.example.net` : `198.51.100.${i % 250}`, sectors: ['energy'] })), Date.UTC(2026, 4, 17));
    recordStatements(store, statements);
  });
  after(() => store.close());

  const plan = (sql: string, params: unknown[]) => planOf(store, sql, params);

  it('walks by the index of its order at every limit, whatever the filters', async () => {
    const queries: IocQuery[] = [];
    for (const limit of [1, 2, 3, 5, 6, 10, 100, 1000])
      for (const types of [undefined, ['sha1'], ['sha1', 'md5']] as const)
        for (const since of [undefined, 1_700_000_000_000])
          for (const position of [undefined, { addedAt: 1_700_000_000_500, rowId: 7 }])
            for (const band of [undefined, 'high'] as const)
              for (const status of ['active', 'revoked', 'all'] as const)
                for (const by of [{}, { sector: 'energy' }, { source: 'feed' }])
                  queries.push({ limit, types, since, after: position, band, status, ...by });
    for (const q of queries) {
      await store.listIocs(q);
      await store.queryIocs(q);
      await store.pageStixObjects(q);
    }
    // Every form: a page from a position reads two ranges (position-seek.ts); windows end at a position (OFFSET) and
    // read up to it.
    assert.ok(statements.size >= 500, `${statements.size} statements`);
    assert.ok([...statements.keys()].some((sql) => /OFFSET/.test(sql)) && [...statements.keys()].some((sql) => /<= \(\?, \?\)/.test(sql)));
    const wrong: string[] = [];
    for (const [sql, params] of statements) {
      if (!/ORDER BY/.test(sql) || !/FROM (iocs i|ioc_sectors d|sightings d)/.test(sql)) continue;
      const steps = plan(sql, params);
      const driver = /FROM ioc_sectors d/.test(sql) ? /^SEARCH d USING PRIMARY KEY \(sector=/
        : /FROM sightings d/.test(sql) ? /^SEARCH d USING COVERING INDEX sightings_source \(source_id=/
        : /i\.type = \?/.test(sql) ? /^SEARCH i USING (COVERING )?INDEX iocs_type_added \(type=/
        : /^(SEARCH|SCAN) i USING (COVERING )?INDEX iocs_added\b/;
      if (steps.some((s) => /TEMP B-TREE/.test(s)) || !driver.test(steps[0] ?? '')) wrong.push(`${sql}\n  ${steps.join('\n  ')}`);
    }
    assert.deepEqual(wrong, []);
  });

  it('looks a value up by its key, not by walking the order', async () => {
    statements.clear();
    for (const limit of [1, 5, 100])
      for (const status of ['active', 'all'] as const)
        for (const types of [undefined, ['domain']] as const) await store.listIocs({ limit, status, types, value: 'example.com' });
    assert.ok(statements.size > 0);
    for (const [sql, params] of statements) {
      const steps = plan(sql, params);
      // The one row per type the value can have, sorted.
      assert.match(steps[0] ?? '', /^SEARCH i USING INDEX iocs_value_key \(value_key=\?\)/, `${sql}\n  ${steps.join('\n  ')}`);
    }
  });
});

/**
 * The plans of the reads that run on every /metrics scrape, scheduler turn, "run now" and webhook poll, over tables
 * that grow with the deployment's age (source_runs is never pruned, webhook_deliveries keeps its history for days),
 * and of the IOCs listed in a webhook's notification of a run.
 */
describe('SQLite: the plans of run, delivery and notification reads', () => {
  let store: TestStore<SqliteStore>;
  const prepared: Array<{ sql: string; params: unknown[] }> = [];

  before(async () => {
    store = await sqliteStore();
    await store.upsertSource({ id: 'feed', name: 'Feed', reliability: 0.8, redistributable: true, aggregate: false, tlp: 'clear' });
    // Every statement prepared on either connection of the store (the side connection writes runs and claims), with
    // the values it was run with.
    for (const db of [store.conn.db, (store.conn as unknown as { side?: typeof store.conn.db }).side]) {
      if (!db) continue;
      const prepare = db.prepare.bind(db);
      db.prepare = ((sql: string) => reporting(prepare(sql), (params) => prepared.push({ sql, params }))) as typeof db.prepare;
    }
  });
  after(() => store.close());

  const plan = (sql: string, params: unknown[]) => planOf(store, sql, params);
  /** The plans of the statements `work` runs that read `table`. */
  async function plansOf(table: string, work: () => Promise<unknown>): Promise<Array<{ sql: string; steps: string[] }>> {
    prepared.length = 0;
    await work();
    const reads = prepared.filter((p) => /^\s*(SELECT|WITH)/i.test(p.sql) && p.sql.includes(table));
    assert.ok(reads.length > 0, `no read of ${table}`);
    return reads.map((p) => ({ sql: p.sql, steps: plan(p.sql, p.params) }));
  }

  it('finds the latest runs and the last run of given outcomes by index probes, never a scan of the runs', async () => {
    for (const work of [() => store.latestRuns(), () => store.lastRun('feed', ['ok', 'not-modified']), () => store.lastRun('feed', ['failed']), () => store.requestRun('feed', 1_000)]) {
      for (const { sql, steps } of await plansOf('source_runs', work)) {
        const runSteps = steps.filter((s) => /\b(source_runs|x|y)\b/.test(s) && !/^(SCAN|SEARCH) (ids|probes)\b/.test(s));
        assert.ok(!steps.some((s) => /^SCAN (source_runs|x|y)\b/.test(s)), `${sql}\n  ${steps.join('\n  ')}`);
        // (The latest runs are sorted by source: one row per source.)
        assert.ok(runSteps.length > 0, `${sql}\n  ${steps.join('\n  ')}`);
      }
    }
    // A source's last run of some outcomes: one probe of (source_id, outcome, id) per outcome, not a walk by id.
    const [last] = await plansOf('source_runs', () => store.lastRun('feed', ['ok', 'not-modified']));
    assert.equal(last!.steps.filter((s) => /USING COVERING INDEX source_runs_outcome \(source_id=\? AND outcome=\?\)/.test(s)).length, 2, last!.steps.join('\n'));
  });

  it('claims due deliveries by the index of what is due', async () => {
    const [claim] = (await plansOf('webhook_deliveries', () => store.claimDeliveries({ now: 1_000, leaseMs: 60_000, limit: 4 }))).filter((p) => /min\(id\)/.test(p.sql));
    assert.ok(claim, 'the claim query');
    assert.match(claim.steps.join('\n'), /webhook_deliveries USING (COVERING )?INDEX webhook_deliveries_due \(next_attempt_at<\?\)/);
  });

  it("lists a run's IOCs for a notification without sorting them", async () => {
    const listed = (await plansOf('sightings d', () => store.runIocs({ source: 'feed', since: 0, sectors: [], minScore: 0, limit: 20, countCap: 1000 }))).filter((p) => /ORDER BY/.test(p.sql));
    // The count finds nothing in an empty store, so the list is not asked: run it as the notifier would.
    const { sql, order } = runIocsSql({ source: 'feed', since: 0, sectors: [], minScore: 0 }, () => '?');
    const steps = plan(`${sql} ORDER BY ${order} LIMIT 20`, ['feed', 0, 0]);
    assert.equal(listed.length, 0);
    assert.match(steps[0] ?? '', /^SEARCH d USING (COVERING )?INDEX sightings_source \(source_id=\? AND ioc_added_at>\?\)/, steps.join('\n'));
    assert.ok(!steps.some((s) => /TEMP B-TREE/.test(s)), steps.join('\n'));
  });
});

/**
 * Blocklists on SQLite (blocklist-select.ts BlocklistDrive): the page is driven by the index of the filter that selects
 * fewest IOCs when that is few, else by score; every drive gives the same pages.
 */
describe('SQLite: the plans of blocklist pages', () => {
  const T0 = Date.UTC(2026, 4, 17, 12);
  let store: TestStore<SqliteStore>;
  before(async () => {
    store = await sqliteStore();
    await store.upsertSource(source({ id: 'feed' }));
    await store.upsertSource(source({ id: 'rare' }));
    const many = Array.from({ length: 400 }, (_, i) => observation({ type: 'ipv4', value: `10.1.${i >> 8}.${i & 255}`.replace(/^10\./, '198.'), confidence: (i * 37) % 100, sectors: i % 5 === 0 ? ['energy'] : [] }));
    await store.upsertObservations('feed', many, T0);
    // Later, a few: a rare source, a rare sector, and the only IOCs added after T0.
    await store.upsertObservations('rare', Array.from({ length: 6 }, (_, i) => observation({ type: 'ipv4', value: `203.0.113.${i}`, confidence: i * 15, sectors: i < 3 ? ['nuclear'] : ['energy'] })), T0 + 60_000);
  });
  after(() => store.close());

  const plan = (sql: string, params: unknown[]) => planOf(store, sql, params);
  const sqlOf = (q: BlocklistQuery, drive: BlocklistDrive, form?: PositionForm) => {
    const params: unknown[] = [];
    const sql = blocklistPageSql(q, (v) => (params.push(v), '?'), form, drive, (c) => `+${c}`);
    return { sql, params };
  };
  /** The first step of the plan of each page statement the store runs for `q`. */
  async function drivers(q: BlocklistQuery): Promise<string[]> {
    const ran = new Map<string, unknown[]>();
    const stop = recordStatements(store, ran);
    try {
      await store.blocklistPage(q);
    } finally {
      stop();
    }
    return [...ran].filter(([sql]) => sql.startsWith('SELECT i.value')).map(([sql, params]) => plan(sql, params)[0] ?? '');
  }

  it('drives by the filter that selects few, by score otherwise', async () => {
    const cases: Array<[Partial<BlocklistQuery>, RegExp]> = [
      [{}, /^SEARCH i USING INDEX iocs_blocklist \(type=\?\)/],
      [{ since: T0 }, /^SEARCH i USING INDEX iocs_type_added \(type=\? AND added_at>\?\)/],
      [{ since: T0 - 1 }, /^SEARCH i USING INDEX iocs_blocklist \(type=\?\)/],
      [{ source: 'rare' }, /^SEARCH d USING (COVERING )?INDEX sightings_source \(source_id=\?\)/],
      [{ source: 'feed' }, /^SEARCH i USING INDEX iocs_blocklist \(type=\?\)/],
      [{ sector: 'nuclear' }, /^SEARCH d USING PRIMARY KEY \(sector=\?\)/],
      [{ sector: 'energy', source: 'rare' }, /^SEARCH d USING (COVERING )?INDEX sightings_source \(source_id=\?\)/],
      [{ sector: 'energy', since: T0 - 1 }, /^SEARCH i USING INDEX iocs_blocklist \(type=\?\)/],
    ];
    for (const [filters, driver] of cases) {
      const [first] = await drivers({ type: 'ipv4', limit: 10, ...filters });
      assert.match(first!, driver, JSON.stringify(filters));
    }
  });

  it('gives the same pages whichever index drives', async () => {
    const read = (q: BlocklistQuery, drive: BlocklistDrive) =>
      readPastPosition(q.after !== undefined, q.limit, (form) => {
        const { sql, params } = sqlOf(q, drive, form);
        return store.conn.db.prepare(sql).raw().all(...params) as Array<[string, number, number]>;
      });
    let compared = 0;
    for (const since of [undefined, T0 - 1, T0])
      for (const sector of [undefined, 'energy', 'nuclear'])
        for (const src of [undefined, 'feed', 'rare'])
          for (const band of [undefined, 'low', 'high'] as const)
            for (const limit of [1, 7, 50]) {
              const q: BlocklistQuery = { type: 'ipv4', limit, since, sector, source: src, band };
              const drives = (['since', 'sector', 'source'] as const).filter((d) => q[d] !== undefined);
              // Walk the whole list by score, and by every other drive it allows: the same entries, page by page.
              let after: BlocklistQuery['after'];
              for (let page = 0; page < 500; page++) {
                const want = read({ ...q, after }, 'score');
                for (const d of drives) assert.deepEqual(read({ ...q, after }, d), want, JSON.stringify({ ...q, after, d }));
                compared += drives.length;
                if (want.length < limit) break;
                const last = want[want.length - 1]!;
                after = { score: last[1], rowId: last[2] };
              }
            }
    assert.ok(compared > 1000, `${compared} pages compared`);
  });
});

/**
 * TAXII pages of built-in collections asked for some types (log-page.ts): a type the collection's IOCs never have is
 * found among the few versions no IOC owns (the shared objects), by their index, and `all-iocs` asked for
 * vulnerabilities walks the members of `cves`. Filtered over the whole collection, a type no member has read every
 * member on the event loop: 36 ms at 100,000 IOCs, 160–366 ms at 1M.
 */
describe('SQLite: the plans of TAXII pages by type', () => {
  let store: TestStore<SqliteStore>;
  const statements = new Map<string, unknown[]>();
  before(async () => {
    store = await sqliteStore();
    await store.upsertSource(source({ id: 'feed' }));
    await store.upsertObservations('feed', [observation({ type: 'ipv4', value: '198.51.100.1' }), observation({ type: 'cve', value: 'CVE-2026-1000' })], Date.UTC(2026, 4, 17));
    recordStatements(store, statements);
  });
  after(() => store.close());

  /** The plan and the values of the page statement that `types` makes on `collection`. */
  async function pagePlan(collection: string, types: string[]): Promise<{ steps: string[]; params: unknown[] }> {
    statements.clear();
    await store.pageObjects({ collection, limit: 100, versions: { last: true, first: false, all: false, modified: [] }, types });
    const pages = [...statements].filter(([s]) => /object_versions/.test(s));
    assert.equal(pages.length, 1, pages.map(([s]) => s).join('\n'));
    const [sql, params] = pages[0]!;
    const named = (params as [Record<string, unknown>])[0];
    return { steps: planOf(store, sql, [named]), params: Object.values(named) };
  }

  it('finds types that no IOC of the collection has among the versions no IOC owns', async () => {
    for (const [collection, types] of [['all-iocs', ['identity']], ['all-iocs', ['malware', 'marking-definition']], ['ips', ['vulnerability']], ['cves', ['indicator', 'identity']], ['sector-energy', ['campaign']]] as const) {
      const { steps } = await pagePlan(collection, [...types]);
      const text = steps.join('\n  ');
      assert.ok(steps.some((s) => /^SEARCH v USING INDEX object_versions_ioc \(ioc_id=\?\)/.test(s)), `${collection} ${types}:\n  ${text}`);
      // (The page's rows are joined from a subquery: its scan is of the page.)
      assert.ok(!steps.some((s) => /SCAN (?!\(subquery)|^SEARCH m USING/.test(s)), `${collection} ${types}:\n  ${text}`);
    }
  });

  it('runs no SQL for a spec version that no built-in collection holds', async () => {
    statements.clear();
    const page = await store.pageObjects({ collection: 'all-iocs', limit: 100, versions: { last: true, first: false, all: false, modified: [] }, specVersions: ['2.0'] });
    assert.equal(page.count, 0);
    assert.deepEqual([...statements.keys()].filter((s) => /object_versions/.test(s)), []);
  });

  it('walks the members of cves for all-iocs asked for vulnerabilities, and the collection itself otherwise', async () => {
    for (const [collection, types, walks] of [['all-iocs', ['vulnerability'], 'cves'], ['all-iocs', ['vulnerability', 'identity'], 'cves'], ['all-iocs', ['indicator'], 'all-iocs'],
      ['all-iocs', ['indicator', 'vulnerability'], 'all-iocs'], ['high-confidence', ['vulnerability'], 'high-confidence']] as const) {
      const { steps, params } = await pagePlan(collection, [...types]);
      const text = steps.join('\n  ');
      assert.ok(steps.some((s) => /^SEARCH m USING PRIMARY KEY \(collection=\? AND \(date_added,seq\)>\(\?,\?\)\)/.test(s)), `${collection} ${types}:\n  ${text}`);
      assert.ok(!steps.some((s) => /SCAN (?!\(subquery)|TEMP B-TREE/.test(s)), `${collection} ${types}:\n  ${text}`);
      assert.ok(params.includes(walks) && !(walks !== collection && params.includes(collection)), `${collection} ${types}: ${JSON.stringify(params)}`);
    }
  });
});

describe('SQLite: the plans of TAXII pages read in windows', () => {
  let store: TestStore<SqliteStore>;
  const statements = new Map<string, unknown[]>();
  before(async () => {
    store = await sqliteStore();
    await store.upsertSource(source({ id: 'feed' }));
    await store.upsertObservations('feed', Array.from({ length: 200 }, (_, i) => observation({ type: 'domain', value: `w${i}.example.net` })), Date.UTC(2026, 4, 17));
    recordStatements(store, statements);
  });
  after(() => store.close());

  it('finds the end of a window and reads up to it by ranges of the members\' key, never a scan or a sort', async () => {
    for (const [collection, versions] of [['all-iocs', { last: false, first: false, all: false, modified: [1] }], ['sector-energy', { last: false, first: true, all: false, modified: [] }],
      ['all-iocs', { last: true, first: false, all: false, modified: [2] }]] as const) {
      statements.clear();
      await store.pageObjects({ collection, limit: 1, versions: { ...versions, modified: [...versions.modified] } });
      const ends = [...statements].filter(([s]) => /OFFSET/.test(s));
      const pages = [...statements].filter(([s]) => /object_versions/.test(s) && /<=/.test(s));
      assert.ok(ends.length >= 1 && (collection !== 'all-iocs' || pages.length >= 1), `${collection}: ${[...statements.keys()].join('\n')}`);
      for (const [sql, params] of [...ends, ...pages]) {
        const steps = planOf(store, sql, [(params as [Record<string, unknown>])[0]]);
        const text = steps.join('\n  ');
        // (EXPLAIN shows the window's `<=` bound as `<`.)
        const range = pages.some(([page]) => page === sql) ? / AND \(date_added,seq\)<\(\?,\?\)\)/ : /\)$/;
        assert.ok(steps.some((step) => /^SEARCH m USING PRIMARY KEY \(collection=\? AND \(date_added,seq\)>\(\?,\?\)/.test(step) && range.test(step)), `${sql}:\n  ${text}`);
        assert.ok(!steps.some((step) => /SCAN (?!\(subquery)|TEMP B-TREE/.test(step)), `${sql}:\n  ${text}`);
      }
    }
  });
});
