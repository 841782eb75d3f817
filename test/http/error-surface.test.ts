import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { ErrorSurfaces, type ErrorSurface } from '../../src/http/error-surface.js';

const named = (name: string): ErrorSurface => ({
  onError: (_e, _q, reply) => reply.send(name),
  onNotFound: (_q, reply) => reply.send(name),
  onRefused: (reply) => reply.send(name),
});

describe('error surfaces: each scope answers its own errors', () => {
  it('a refused request (no route yet) goes to the surface of the scope owning its path, the root otherwise', async () => {
    const app = Fastify();
    const surfaces = new ErrorSurfaces();
    const rest = named('rest');
    const taxii = named('taxii');
    surfaces.install(app, rest);
    await app.register(async (scope) => surfaces.install(scope, taxii), { prefix: '/taxii2' });
    await app.register(async (scope) => surfaces.install(scope, taxii), { prefix: '/api/taxii2' });
    await app.ready();
    for (const url of ['/taxii2', '/taxii2/', '/taxii2/%zz', '//api//taxii2/api/collections/%E0%A4%A/', '/api/taxii2']) {
      assert.equal(surfaces.surfaceOf(url), taxii, url);
    }
    for (const url of ['/', '/%', '/taxii22/', '/taxii2?%zz', '/api/v1/iocs/%zz', '/api/taxii', 'http://h/taxii2/']) {
      assert.equal(surfaces.surfaceOf(url), rest, url);
    }
    await app.close();
  });

  it('refuses to answer before a root surface is installed', () => {
    assert.throws(() => new ErrorSurfaces().surfaceOf('/'), /no error surface/);
  });
});
