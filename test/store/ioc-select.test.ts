import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { iocSelectSql, type IocSqlDialect } from '../../src/store/ioc-select.js';
import { type PositionForm, readPastPosition } from '../../src/store/position-seek.js';
import { limitLiteral } from '../../src/store/sql-literals.js';
import type { IocQuery } from '../../src/store/types.js';
import { observation, source } from '../support/builders.js';
import { sqliteStore } from '../support/stores.js';

function sqlOf(q: IocQuery, form?: PositionForm): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const d: IocSqlDialect = {
    param: (v) => {
      params.push(v);
      return '?';
    },
    valueIs: () => 'TRUE',
    typeIn: () => 'TRUE',
    isSet: (c) => c,
    filterOnly: (c) => c,
    limit: limitLiteral,
  };
  return { sql: iocSelectSql(q, 'i.id', '', d, form), params };
}

describe('iocSelectSql', () => {
  it('bounds a walk by one range on its order: since alone, or the cursor once it is past since', () => {
    const first = sqlOf({ status: 'active', since: 100, limit: 10 });
    assert.match(first.sql, /i\.added_at > \?/);
    const later = sqlOf({ status: 'active', since: 100, after: { addedAt: 150, rowId: 7 }, limit: 10 });
    assert.doesNotMatch(later.sql, /i\.added_at > \?/, 'since is implied by the cursor');
    assert.match(later.sql, /\(i\.added_at, i\.id\) > \(\?, \?\)/);
    assert.ok(!later.params.includes(100));
    // A cursor that is not past since (not one of this walk's): both bounds stay.
    const odd = sqlOf({ status: 'active', since: 200, after: { addedAt: 150, rowId: 7 }, limit: 10 });
    assert.match(odd.sql, /i\.added_at > \?/);
    for (const by of [{ sector: 'energy' }, { source: 'a' }]) {
      const sql = sqlOf({ status: 'active', since: 100, after: { addedAt: 150, rowId: 7 }, limit: 10, ...by }).sql;
      assert.doesNotMatch(sql, /d\.ioc_added_at > \?/);
      assert.match(sql, /\(d\.ioc_added_at, d\.ioc_id\) > \(\?, \?\)/);
    }
  });

  it('writes the position as one row-value range, or as the rest of its instant and what follows it', () => {
    const after = { addedAt: 150, rowId: 7 };
    const same = sqlOf({ status: 'active', after, limit: 10 }, 'same-first');
    assert.match(same.sql, /i\.added_at = \? AND i\.id > \?/);
    assert.deepEqual(same.params, [150, 7]);
    const later = sqlOf({ status: 'active', after, limit: 10 }, 'later');
    assert.match(later.sql, /i\.added_at > \?/);
    assert.doesNotMatch(later.sql, /i\.id >/);
    assert.deepEqual(later.params, [150]);
    const bySector = sqlOf({ status: 'active', after, sector: 'energy', limit: 10 }, 'same-first').sql;
    assert.match(bySector, /d\.ioc_added_at = \? AND d\.ioc_id > \?/);
  });

  it('reads past a position in two seeks to the rows the row-value range reads', () => {
    // Rows in (at, id) order; `read` answers each form as the SQL would, at most limit + 1 rows.
    fc.assert(fc.property(
      fc.uniqueArray(fc.record({ at: fc.integer({ min: 0, max: 5 }), id: fc.integer({ min: 0, max: 40 }) }), { selector: (r) => r.id, maxLength: 40 }),
      fc.integer({ min: 1, max: 8 }),
      fc.option(fc.record({ addedAt: fc.integer({ min: -1, max: 6 }), rowId: fc.integer({ min: -1, max: 41 }) }), { nil: undefined }),
      (unsorted, limit, after) => {
        const rows = unsorted.slice().sort((a, b) => a.at - b.at || a.id - b.id);
        const past = (form: PositionForm) => rows.filter((r) => !after ? true
          : form === 'tuple' ? r.at > after.addedAt || (r.at === after.addedAt && r.id > after.rowId)
            : form === 'same-first' ? r.at === after.addedAt && r.id > after.rowId
              : r.at > after.addedAt).slice(0, limit + 1);
        assert.deepEqual(readPastPosition(after !== undefined, limit + 1, past), past('tuple'));
      },
    ), { numRuns: 500 });
  });

  it('writes the status as a literal (a placeholder beside a partial index re-prepares at every binding), and only a known one', () => {
    for (const status of ['active', 'revoked'] as const) {
      const { sql, params } = sqlOf({ status, limit: 10 });
      assert.match(sql, new RegExp(`i\\.status = '${status}'`));
      assert.ok(!params.includes(status));
    }
    assert.doesNotMatch(sqlOf({ status: 'all', limit: 10 }).sql, /i\.status/);
    assert.throws(() => sqlOf({ status: "active' OR '1'='1" as 'active', limit: 10 }), /unknown IOC status/);
  });

  it('walks with since and a cursor to the same IOCs as before, on a store', async () => {
    const store = await sqliteStore();
    await store.upsertSource(source({ id: 'a' }));
    for (let batch = 0; batch < 5; batch++) {
      await store.upsertObservations('a', Array.from({ length: 30 }, (_, i) => observation({ type: i % 2 ? 'ipv4' : 'domain', value: i % 2 ? `203.0.${batch}.${i}` : `d${batch}-${i}.example` })), 1000 + batch);
    }
    for (const q of [{ since: 1001 }, { since: 1001, types: ['ipv4' as const] }, { since: 999 }, { since: 1004 }]) {
      const seen: string[] = [];
      let after: IocQuery['after'];
      for (;;) {
        const page = await store.queryIocs({ status: 'active', limit: 7, ...q, ...(after ? { after } : {}) });
        seen.push(...page.items.map((i) => i.value));
        if (!page.next) break;
        after = page.next;
      }
      const all = (await store.queryIocs({ status: 'active', limit: 1000, ...q })).items.map((i) => i.value);
      assert.deepEqual(seen, all, JSON.stringify(q));
      assert.ok(all.length > 0 || q.since === 1004);
    }
    await store.close();
  });
});

describe('sql-literals', () => {
  it('writes a row limit into SQL only as a positive safe integer', () => {
    assert.equal(limitLiteral(101), '101');
    for (const bad of [0, -1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 2]) assert.throws(() => limitLiteral(bad), /not a row limit/);
    assert.match(sqlOf({ status: 'active', limit: 100 }).sql, /LIMIT 101$/);
  });
});
