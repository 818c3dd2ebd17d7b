import 'reflect-metadata';
import { type ParameterRoles, readParameterRoles } from './parameters';

type AnyMethod = (this: any, ...args: any[]) => any;

/**
 * A method decorator usable in both decorator modes: TypeScript's legacy `experimentalDecorators`
 * and TC39 standard decorators (and, at runtime, the 2018-09 proposal's element descriptors that
 * Next.js's compiler emits by default). TypeScript picks the matching signature for the mode in use.
 */
export interface DualModeMethodDecorator {
  /** Standard (TC39) decorator form. */
  <This, Args extends any[], Return>(
    method: (this: This, ...args: Args) => Return,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => Return>,
  ): (this: This, ...args: Args) => Return;
  /** Legacy (`experimentalDecorators`) form. */
  <T>(target: object, propertyKey: string | symbol, descriptor: TypedPropertyDescriptor<T>): TypedPropertyDescriptor<T>;
}

/** Replaces a method by its traced version; `parameterRoles` come from parameter decorators. */
export type MethodWrapper = (method: AnyMethod, methodName: string, parameterRoles: ParameterRoles) => AnyMethod;

function isStandardContext(value: unknown): value is ClassMethodDecoratorContext {
  return typeof value === 'object' && value !== null && 'kind' in value;
}

/**
 * A class element as the 2018-09 decorators proposal describes it, the form Next.js's compiler
 * (SWC) emits with the `tsconfig.json` Next generates (no `experimentalDecorators`): one argument
 * `{ kind, key, placement, descriptor }`, and the element returned.
 */
interface ElementDescriptor {
  readonly kind: string;
  readonly key: string | symbol;
  readonly placement?: string;
  readonly descriptor?: PropertyDescriptor;
}

function isElementDescriptor(value: unknown, more: unknown): value is ElementDescriptor {
  return (
    more === undefined &&
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { kind?: unknown }).kind === 'string' &&
    'key' in value
  );
}

/** Own properties of a function that are the language's, not something a framework put there. */
const FUNCTION_OWN: ReadonlySet<PropertyKey> = new Set(['name', 'length', 'prototype', 'arguments', 'caller']);

/**
 * Gives the traced function what users and frameworks read on the original: its `name` and
 * `length`, the properties put on it, and its reflect metadata. NestJS keeps a route, its guards,
 * interceptors and pipes as metadata on the method function itself
 * (`Reflect.defineMetadata(key, value, descriptor.value)`): a decorator written below `@Post()`
 * runs after it, and without this copy the route was on a function no longer in the class.
 * Metadata set later (decorators written above) lands on the traced function, where it is read.
 */
function keepIdentity<F extends AnyMethod>(traced: F, original: AnyMethod): F {
  Object.defineProperty(traced, 'name', { value: original.name, configurable: true });
  Object.defineProperty(traced, 'length', { value: original.length, configurable: true });
  try {
    for (const key of Reflect.ownKeys(original)) {
      if (FUNCTION_OWN.has(key)) continue;
      const property = Object.getOwnPropertyDescriptor(original, key);
      if (property !== undefined) Object.defineProperty(traced, key, property);
    }
    for (const key of Reflect.getOwnMetadataKeys(original)) {
      Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, original), traced);
    }
  } catch {
    // A property that cannot be copied (a frozen original's getter, say) is left behind: the
    // method still runs and is traced.
  }
  return traced;
}

/**
 * Builds a decorator that works in both modes on one wrapper. Misuse (on a field, an accessor, a
 * class) is a programming error and fails when the class is defined, saying what to do.
 */
export function methodDecorator(decoratorName: string, wrap: MethodWrapper): DualModeMethodDecorator {
  const decorate = (target: unknown, contextOrKey: unknown, descriptor?: PropertyDescriptor): unknown => {
    if (isStandardContext(contextOrKey)) {
      if (contextOrKey.kind !== 'method' || typeof target !== 'function') {
        throw new TypeError(`@${decoratorName} decorates methods; it was put on a ${contextOrKey.kind}`);
      }
      return keepIdentity(wrap(target as AnyMethod, String(contextOrKey.name), {}), target as AnyMethod);
    }
    if (isElementDescriptor(target, contextOrKey)) {
      const original = target.descriptor?.value as AnyMethod | undefined;
      if (target.kind !== 'method' || typeof original !== 'function') {
        throw new TypeError(`@${decoratorName} decorates methods; it was put on a ${target.kind}`);
      }
      const value = keepIdentity(wrap(original, String(target.key), {}), original);
      return { ...target, descriptor: { ...target.descriptor, value } };
    }
    if (descriptor === undefined || typeof descriptor.value !== 'function') {
      throw new TypeError(`@${decoratorName} decorates methods; ${String(contextOrKey)} is not a method`);
    }
    const original = descriptor.value as AnyMethod;
    const roles = readParameterRoles(target as object, contextOrKey as string | symbol);
    descriptor.value = keepIdentity(wrap(original, String(contextOrKey), roles), original);
    return descriptor;
  };
  return decorate as DualModeMethodDecorator;
}
