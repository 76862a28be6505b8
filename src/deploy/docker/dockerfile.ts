/** Where the image keeps the model: the path SageMaker mounts model artifacts at. */
export const MODEL_DIR_IN_IMAGE = '/opt/ml/model';
export const APP_DIR_IN_IMAGE = '/opt/mlflow-ts';
export const DEFAULT_BASE_IMAGE = 'node:20-bookworm-slim';
/** SageMaker's container contract: the server listens on 8080. */
export const CONTAINER_PORT = 8080;
/** Any unprivileged id works: the image's files are world-readable and the server writes nothing. */
const RUN_AS = '10001:10001';

export interface DockerfileOptions {
  baseImage: string;
  /** The model is copied to model_dir/ in the context; otherwise it is mounted at run time. */
  modelIncluded: boolean;
  /** Install Debian's python3, numpy and pandas (for the Python bridge), and the model's requirements.txt with pip if given. */
  python?: { requirementsFile?: string };
}

/** The Dockerfile of a build context laid out by generateBuildContext. */
export function renderDockerfile(options: DockerfileOptions): string {
  const lines = [
    '# Written by mlflow-ts models generate-dockerfile',
    `FROM ${options.baseImage}`,
    '',
  ];
  if (options.python) {
    // The bridge's worker itself needs numpy and pandas; Debian's builds are much smaller than
    // pip's wheels. pip only comes along to install a model's requirements.txt.
    const pip = options.python.requirementsFile !== undefined ? ' python3-pip' : '';
    lines.push(
      '# The model needs the Python bridge: no native flavor scores it.',
      'RUN apt-get update \\',
      ` && apt-get install -y --no-install-recommends python3 python3-numpy python3-pandas${pip} \\`,
      ' && rm -rf /var/lib/apt/lists/*',
    );
    if (options.python.requirementsFile !== undefined) {
      lines.push(
        `COPY ${options.python.requirementsFile} /tmp/requirements.txt`,
        'RUN python3 -m pip install --no-cache-dir --break-system-packages -r /tmp/requirements.txt && rm /tmp/requirements.txt',
      );
    }
    lines.push('');
  }
  lines.push(
    'ENV NODE_ENV=production HOME=/tmp',
    `COPY mlflow-ts/ ${APP_DIR_IN_IMAGE}/`,
  );
  if (options.modelIncluded) lines.push(`COPY model_dir/ ${MODEL_DIR_IN_IMAGE}/`);
  else lines.push(`# No model copied in: mount one at ${MODEL_DIR_IN_IMAGE}.`);
  lines.push(
    `USER ${RUN_AS}`,
    `EXPOSE ${CONTAINER_PORT}`,
    `ENTRYPOINT ["${APP_DIR_IN_IMAGE}/entrypoint.sh"]`,
    'CMD ["serve"]',
    '',
  );
  return lines.join('\n');
}

/**
 * The image's entrypoint. SageMaker starts a container as `<image> serve` (one server process per
 * core by default, MLFLOW_MODELS_WORKERS otherwise); anything else is handed to the mlflow-ts CLI.
 * `exec` makes node PID 1, so SIGTERM reaches the server directly.
 * `--env-manager local`: the model's requirements were installed into the image's Python at build.
 */
export function renderEntrypoint(): string {
  return `#!/bin/sh
set -e
# The model: MLFLOW_TS_MODEL_DIR if set, else one Azure ML mounted (AZUREML_MODEL_DIR/model), else SageMaker's path.
model_dir="${MODEL_DIR_IN_IMAGE}"
if [ -n "$MLFLOW_TS_MODEL_DIR" ]; then
  model_dir="$MLFLOW_TS_MODEL_DIR"
elif [ -n "$AZUREML_MODEL_DIR" ] && [ -f "$AZUREML_MODEL_DIR/model/MLmodel" ]; then
  model_dir="$AZUREML_MODEL_DIR/model"
fi
if [ "$1" = "serve" ]; then
  shift
  # One server process per core unless told otherwise, as MLflow's image runs its workers.
  export MLFLOW_MODELS_WORKERS="\${MLFLOW_MODELS_WORKERS:-$(nproc 2>/dev/null || echo 1)}"
  exec node ${APP_DIR_IN_IMAGE}/bin/mlflow-ts.js models serve -m "$model_dir" -h 0.0.0.0 -p ${CONTAINER_PORT} --env-manager local "$@"
fi
exec node ${APP_DIR_IN_IMAGE}/bin/mlflow-ts.js "$@"
`;
}
