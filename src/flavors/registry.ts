import { MlflowError } from '../errors.js';
import type { Flavor } from './flavor.js';

const flavors = new Map<string, Flavor>();

/** Registers a flavor under the name it has in MLmodel files; built-in and custom alike. */
export function registerFlavor(flavor: Flavor, options: { replace?: boolean } = {}): void {
  if (flavors.has(flavor.name) && !options.replace) {
    throw new MlflowError(`A flavor named '${flavor.name}' is already registered`, 'RESOURCE_ALREADY_EXISTS');
  }
  flavors.set(flavor.name, flavor);
}

export function unregisterFlavor(name: string): boolean {
  return flavors.delete(name);
}

export function getFlavor(name: string): Flavor | undefined {
  return flavors.get(name);
}

export function registeredFlavors(): Flavor[] {
  return [...flavors.values()];
}
