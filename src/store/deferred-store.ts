import type { ArtifactRepository, RegistryStore, TrackingStore } from './store.js';

/*
 * MlflowClient's stores, loaded at their first call. Constructing a client, which importing
 * mlflow-ts can do (and the `tracking`/`registry` fields are public), should not load the file and
 * REST stores, the HTTP client (node:http, TLS), or the artifact repositories (start-up, issue
 * #16). Every method of these interfaces returns a promise, so a call first waits for the load.
 */

/** An interface whose methods all return promises. */
type AsyncMethods<T> = { [K in keyof T]: (...args: never[]) => Promise<unknown> };

/** Each interface's methods; `Record<keyof T, true>` makes the compiler check the lists are whole. */
export const TRACKING_STORE_METHODS: Record<keyof TrackingStore, true> = {
  createExperiment: true, getExperiment: true, getExperimentByName: true, createRun: true, getRun: true, updateRunInfo: true, logBatch: true,
  recordLoggedModel: true,
};
export const REGISTRY_STORE_METHODS: Record<keyof RegistryStore, true> = {
  createRegisteredModel: true, getRegisteredModel: true, createModelVersion: true, getModelVersion: true, getLatestVersions: true,
  transitionModelVersionStage: true, setRegisteredModelAlias: true, deleteRegisteredModelAlias: true, getModelVersionByAlias: true,
  getModelVersionDownloadUri: true,
};
export const ARTIFACT_REPOSITORY_METHODS: Record<keyof ArtifactRepository, true> = {
  logArtifacts: true, logArtifact: true, listArtifacts: true, downloadArtifacts: true,
};

/** `load`, called once, on the first call (a failed load is tried again on the next). */
export function loadOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => (loading ??= load().catch((err: unknown) => {
    loading = undefined;
    throw err;
  }));
}

/** A T whose every method waits for `load` (see loadOnce) and then calls the loaded object's. */
export function deferredStore<T extends AsyncMethods<T>>(load: () => Promise<T>, methods: Record<keyof T, true>): T {
  const store = {} as Record<string, unknown>;
  for (const name of Object.keys(methods)) {
    store[name] = async (...args: unknown[]) => {
      const loaded = (await load()) as unknown as Record<string, (...a: unknown[]) => unknown>;
      return loaded[name](...args);
    };
  }
  return store as T;
}
