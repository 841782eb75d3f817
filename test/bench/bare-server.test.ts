import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { pathAndQuery, Recording, startBareServer } from '../../bench/bare-server.js';

function get(url: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    }).on('error', reject).end();
  });
}

describe('the bare baseline server', () => {
  it('answers the recorded status, headers and body for the recorded path and query, and counts the others', async () => {
    const recording = new Recording();
    const page = Buffer.from('{"more":true,"next":"a b","objects":[{"id":"x—é"}]}');
    recording.record('/api/taxii2/api/collections/all-iocs/objects/?limit=100&next=a%20b', 200, {
      'content-type': 'application/taxii+json;version=2.1',
      'x-taxii-date-added-last': '2026-01-01T00:00:00.000000Z',
      connection: 'keep-alive',
      'keep-alive': 'timeout=72',
      date: 'Thu, 01 Jan 2026 00:00:00 GMT',
      'transfer-encoding': 'chunked',
    }, page);
    recording.record('/api/taxii2/api/collections/all-iocs/objects/?limit=100&next=a%20b', 500, {}, Buffer.from('later'));
    assert.equal(recording.size, 1);
    assert.equal(recording.bytes, page.length);

    const bare = await startBareServer(recording);
    try {
      const r = await get(`${bare.origin}/api/taxii2/api/collections/all-iocs/objects/?limit=100&next=a%20b`);
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, page);
      assert.equal(r.headers['content-type'], 'application/taxii+json;version=2.1');
      assert.equal(r.headers['x-taxii-date-added-last'], '2026-01-01T00:00:00.000000Z');
      assert.equal(r.headers['content-length'], String(page.length));
      assert.equal(r.headers['transfer-encoding'], undefined);
      assert.notEqual(r.headers.date, 'Thu, 01 Jan 2026 00:00:00 GMT');
      assert.equal(bare.misses(), 0);

      const other = await get(`${bare.origin}/api/taxii2/api/collections/all-iocs/objects/?limit=100`);
      assert.equal(other.status, 404);
      assert.equal(other.body.length, 0);
      assert.equal(bare.misses(), 1);
    } finally {
      await bare.close();
    }
  });

  it('keys an answer by the path and query of the URL it was asked at, on whichever origin', () => {
    assert.equal(pathAndQuery('http://127.0.0.1:4000/api/v1/iocs?limit=100&cursor=abc%3D'), '/api/v1/iocs?limit=100&cursor=abc%3D');
    assert.equal(pathAndQuery('http://127.0.0.1:4000/healthz'), '/healthz');
  });
});
