import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { IocQuery } from '../../src/store/types.js';
import { sqliteStore, type TestStore } from '../support/stores.js';

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
    const conn = store.conn;
    const statement = conn.statement.bind(conn);
    // Every statement the read paths run, with the values it was run with.
    conn.statement = ((sql: string, mode?: 'objects' | 'raw' | 'pluck') => {
      const st = statement(sql, mode);
      return new Proxy(st, {
        get(target, prop, receiver) {
          const value = Reflect.get(target, prop, receiver) as unknown;
          if (prop !== 'all' && prop !== 'get') return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
          return (...params: unknown[]) => {
            statements.set(sql, params);
            return (value as (...a: unknown[]) => unknown).apply(target, params);
          };
        },
      });
    }) as typeof conn.statement;
  });
  after(() => store.close());

  const plan = (sql: string, params: unknown[]) =>
    (store.conn.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((r) => r.detail);

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
    // Every form: a page from a position reads two ranges (position-seek.ts).
    assert.ok(statements.size >= 500, `${statements.size} statements`);
    const wrong: string[] = [];
    for (const [sql, params] of statements) {
      if (!/ORDER BY/.test(sql) || !/FROM (iocs i|ioc_sectors d|sightings d)/.test(sql)) continue;
      const steps = plan(sql, params);
      const driver = /FROM ioc_sectors d/.test(sql) ? /^SEARCH d USING PRIMARY KEY \(sector=/
        : /FROM sightings d/.test(sql) ? /^SEARCH d USING COVERING INDEX sightings_source \(source_id=/
        : /i\.type = \?/.test(sql) ? /^SEARCH i USING INDEX iocs_type_added \(type=/
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
