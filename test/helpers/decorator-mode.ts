import 'reflect-metadata';

/** The decorator settings this file was compiled with, found by observing a decorator. */
export interface DecoratorMode {
  readonly form: 'legacy' | 'standard';
  readonly metadata: boolean;
  readonly label: string;
}

let form: DecoratorMode['form'] = 'standard';
function probe(...args: unknown[]): void {
  form = args.length === 2 ? 'standard' : 'legacy';
}

class Probe {
  @probe
  method(_text: string): void {}
}

const metadata = Reflect.getMetadata('design:paramtypes', Probe.prototype, 'method') !== undefined;

/** How this build compiles decorators. */
export const decoratorMode: DecoratorMode = {
  form,
  metadata,
  label: form === 'standard' ? 'standard decorators' : `legacy decorators${metadata ? ' + emitDecoratorMetadata' : ''}`,
};

/** The mode the build directory says this copy was compiled for (build/test-modes/<mode>/...). */
export function expectedModeLabel(directory: string): string | undefined {
  if (directory.includes('legacy-metadata')) return 'legacy decorators + emitDecoratorMetadata';
  if (directory.includes('legacy')) return 'legacy decorators';
  if (directory.includes('standard')) return 'standard decorators';
  return undefined;
}
