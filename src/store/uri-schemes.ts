import { registerModelUriResolver } from '../model/uri-resolver.js';

/**
 * Registers the runs:, models:, mlflow-artifacts:, http:, https:, s3:, gs: and wasbs: model URI schemes
 * with model/. The store itself is loaded when such a URI is first resolved, so that a program
 * scoring local models (`models predict -m ./model`) never loads the tracking client.
 */
for (const scheme of ['runs', 'models', 'mlflow-artifacts', 'http', 'https', 's3', 'gs', 'wasbs']) {
  registerModelUriResolver(scheme, async (uri) => {
    const { MlflowClient } = await import('./client.js');
    // A client per call, so that MLFLOW_TRACKING_URI is read when the URI is resolved.
    return new MlflowClient().downloadUri(uri);
  });
}
