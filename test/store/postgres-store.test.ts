import { randomBytes } from 'node:crypto';
import { after, it } from 'node:test';
import { dropPostgresSchema } from '../../src/store/postgres/postgres-store.js';
import { postgresStore } from '../support/stores.js';
import { storeContract } from './store.contract.js';

/**
 * The store contract against PostgreSQL, when DATABASE_URL names one (e.g. postgres://postgres@127.0.0.1:5432/test).
 * Every store gets a fresh schema, dropped when the file's tests are done.
 */
const url = process.env.DATABASE_URL ?? '';

if (/^postgres(ql)?:\/\//.test(url)) {
  const schemas: string[] = [];
  after(async () => {
    for (const schema of schemas) await dropPostgresSchema(url, schema);
  });
  storeContract('postgres', () => {
    const schema = `socd_t_${randomBytes(6).toString('hex')}`;
    schemas.push(schema);
    return postgresStore(url, schema);
  });
} else {
  it('Store contract: postgres', { skip: 'DATABASE_URL is not a postgres:// URL: set it (e.g. postgres://postgres@127.0.0.1:5432/test) to run the contract against PostgreSQL' }, () => {});
}
