import type { Logger } from 'pino';
import { MlflowError } from '../errors.js';
import type { LoadOptions } from '../flavors/flavor.js';
import { loadPredictor, type Predictor } from '../pyfunc/index.js';
import { MlflowClient } from '../store/index.js';
import { ModelSlot, type SlotLoader } from './model-slot.js';
import type { ServedModelConfig } from './serve-config.js';

/**
 * The models one server serves, by name: loaded at start, re-resolved on their reload interval,
 * loaded and unloaded on request (the V2 model-repository extension). The first is the one
 * MLflow's own /invocations route scores.
 */
export class ModelRepository {
  private readonly slots = new Map<string, ModelSlot>();
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(configs: readonly ServedModelConfig[], loader: SlotLoader, private readonly logger: Logger) {
    if (configs.length === 0) throw new MlflowError('A server needs at least one model', 'INVALID_PARAMETER_VALUE');
    for (const c of configs) {
      if (this.slots.has(c.name)) throw new MlflowError(`Model name '${c.name}' is given twice`, 'INVALID_PARAMETER_VALUE');
      this.slots.set(c.name, new ModelSlot(c, loader, logger));
    }
  }

  /** A repository serving one already loaded predictor (createScoringServer(predictor)). */
  static ofPredictor(predictor: Predictor, name: string, version: string | undefined, logger: Logger): ModelRepository {
    const loader: SlotLoader = {
      load: () => Promise.reject(new MlflowError(`Model '${name}' was handed to this server loaded; it cannot be loaded again`, 'INVALID_PARAMETER_VALUE')),
      resolveVersion: () => Promise.resolve(version),
    };
    const repo = new ModelRepository([{ name, uri: name }], loader, logger);
    repo.first.serve(predictor, version);
    return repo;
  }

  get first(): ModelSlot {
    return this.slots.values().next().value as ModelSlot;
  }

  find(name: string): ModelSlot | undefined {
    return this.slots.get(name);
  }

  list(): ModelSlot[] {
    return [...this.slots.values()];
  }

  /** Loads every model; the first failure stops the start, naming the model. */
  async loadAll(): Promise<void> {
    for (const slot of this.slots.values()) {
      try {
        await slot.load();
      } catch (err) {
        // One model: its own error, as `models serve -m` has always said it.
        if (this.slots.size === 1) throw err;
        const message = `Model '${slot.name}' (${slot.config.uri}) failed to load: ${(err as Error).message}`;
        throw new MlflowError(message, err instanceof MlflowError ? err.errorCode : 'INTERNAL_ERROR', { cause: err });
      }
    }
  }

  /** Starts re-resolving each model that has a reload interval; `onSwap` hears of each swap. */
  startReloading(onSwap?: (slot: ModelSlot) => void): void {
    for (const slot of this.slots.values()) {
      const seconds = slot.config.reloadIntervalSeconds;
      if (seconds === undefined) continue;
      let busy = false;
      const timer = setInterval(() => {
        if (busy) return;
        busy = true;
        slot.refresh().then(
          (swapped) => {
            busy = false;
            if (swapped) onSwap?.(slot);
          },
          () => {
            busy = false;
          },
        );
      }, seconds * 1000);
      timer.unref();
      this.timers.push(timer);
    }
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await Promise.all([...this.slots.values()].map((s) => s.close()));
  }
}

/** Loads models as `models serve` does, and asks the registry which version a models:/ URI names now. */
export function registryLoader(
  options: Pick<LoadOptions, 'runtime' | 'envManager' | 'requestTimeoutMs' | 'extraPipRequirements' | 'modelConfig'> & { flavor?: string },
): SlotLoader {
  return {
    load: (uri, config) => loadPredictor(uri, { ...options, runtime: config.runtime ?? options.runtime, flavor: config.flavor ?? options.flavor }),
    async resolveVersion(uri) {
      if (!uri.startsWith('models:')) return undefined;
      return (await new MlflowClient().getModelVersionForUri(uri)).version;
    },
  };
}
