import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * How one surface of the server (REST, TAXII) answers errors: every error of a scope goes through the surface that
 * scope installed, so a surface has exactly one mapping from errors to HTTP answers.
 */
export interface ErrorSurface {
  /** An error thrown by a route of the scope or by one of its hooks. */
  onError(err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply;
  /** No route of the scope matched. */
  onNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply;
  /** A request refused before routing: bad percent-encoding (400) or an over-long path parameter (414). */
  onRefused(reply: FastifyReply, status: 400 | 414, message: string): FastifyReply;
}

/**
 * The surfaces installed on an application's scopes, by prefix. A request the router cannot read (a bad URL) has
 * no route yet: it is answered by the surface of the scope whose prefix owns its path, the root's otherwise.
 */
export class ErrorSurfaces {
  private readonly scoped: { prefix: string; surface: ErrorSurface }[] = [];
  private root: ErrorSurface | undefined;

  /** Sets the surface's handlers on a scope (the root, or a plugin registered with a prefix). */
  install(scope: FastifyInstance, surface: ErrorSurface): void {
    scope.setErrorHandler((err: FastifyError, request, reply) => surface.onError(err, request, reply));
    scope.setNotFoundHandler((request, reply) => surface.onNotFound(request, reply));
    if (scope.prefix) this.scoped.push({ prefix: scope.prefix, surface });
    else this.root = surface;
  }

  /** The surface of the scope that owns this raw URL; duplicate slashes are ignored, as the router does. */
  surfaceOf(url: string): ErrorSurface {
    const path = url.replace(/\/{2,}/g, '/');
    const owner = this.scoped.find(({ prefix }) => path === prefix || path.startsWith(`${prefix}/`));
    const surface = owner?.surface ?? this.root;
    if (!surface) throw new Error('no error surface installed on the root scope');
    return surface;
  }
}
