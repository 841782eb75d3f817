/**
 * How a dialect's store class is made of its roles: each role is a class of its own file (ioc-reads.ts,
 * ingest-writes.ts, …, the same names in sqlite/ and postgres/), and the store class takes on their methods, bound
 * to the role object. The class declares the roles it adopts as an interface of the same name, and each role class
 * `implements` its role interface, so the compiler checks every method.
 */
export function adoptRoles(target: object, roles: readonly object[]): void {
  for (const role of roles) {
    for (const name of Object.getOwnPropertyNames(Object.getPrototypeOf(role) as object)) {
      if (name === 'constructor') continue;
      const method: unknown = (role as Record<string, unknown>)[name];
      if (typeof method !== 'function') continue;
      if (name in target) throw new Error(`store role method ${name} is defined twice`);
      Object.defineProperty(target, name, { value: method.bind(role), writable: true, configurable: true, enumerable: false });
    }
  }
}
