/** mlflow-ts's own version, and the MLflow version whose formats and protocol it speaks. */
export const VERSION = '0.1.0';
export const MLFLOW_COMPAT_VERSION = '2.22.1';
