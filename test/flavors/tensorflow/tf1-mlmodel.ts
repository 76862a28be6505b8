/**
 * An MLmodel for a SavedModel loaded by tags and signature (model_type tf1-estimator), as MLflow
 * 2.22's save_model writes one; `inputs` adds a signature's inputs (MLmodel JSON).
 */
export function tf1EstimatorMlmodel(savedModelDir: string, signatureKey: string, inputs?: string): string {
  return [
    'flavors:',
    '  python_function:',
    '    env:',
    '      conda: conda.yaml',
    '      virtualenv: python_env.yaml',
    '    loader_module: mlflow.tensorflow',
    '    python_version: 3.10.12',
    '  tensorflow:',
    '    code: null',
    '    meta_graph_tags:',
    '    - serve',
    '    model_type: tf1-estimator',
    `    saved_model_dir: ${savedModelDir}`,
    `    signature_def_key: ${signatureKey}`,
    'mlflow_version: 2.22.1',
    ...(inputs === undefined ? [] : ['signature:', `  inputs: '${inputs}'`, '  outputs: null', '  params: null']),
    "utc_time_created: '2026-11-26 23:00:00.000000'",
    '',
  ].join('\n');
}
