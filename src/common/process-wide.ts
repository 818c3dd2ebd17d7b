/**
 * State that must be one per process whatever number of copies of this package are loaded (a
 * bundler's copy per route, the CJS and ESM builds, npm's nesting, a monorepo): kept on
 * `globalThis` under a registered symbol, the way `@opentelemetry/api` keeps its globals. Issue 27:
 * `configureAgentSight({ mask })` in `instrumentation.ts` masked one copy, and a Next.js route's
 * own copy sent an e-mail address in clear. The first copy to ask creates the value; every later
 * copy, of this version or another, gets the same object, so each shape kept here only grows.
 */
export function processWide<T extends object>(name: string, create: () => T): T {
  const key = Symbol.for(`agentsight.${name}`);
  const holder = globalThis as { [key: symbol]: T | undefined };
  let value = holder[key];
  if (value === undefined) {
    value = create();
    holder[key] = value;
  }
  return value;
}
