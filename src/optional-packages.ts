import { MlflowError, type ErrorCode } from './errors.js';

/**
 * The packages a plain `npm install mlflow-ts` leaves out (optional peer dependencies in
 * package.json): each is large and only some models or commands load it, always by dynamic
 * import. When one is missing, the error gives the one `npm install` that brings its group.
 */
export interface OptionalPackageGroup {
  /** What needs the group, in the plural ("... need the optional package"). */
  readonly usedBy: string;
  /** Package name -> the semver range package.json's peerDependencies accept. */
  readonly packages: Readonly<Record<string, string>>;
  /** Flavors that load the group (so an image of a model without them leaves it out). */
  readonly flavors?: readonly string[];
  /** npm flags the install needs. */
  readonly npmFlags?: string;
  /** The code of the error when the group is missing: NOT_IMPLEMENTED lets `--runtime auto` hand the model to the Python bridge. */
  readonly errorCode: ErrorCode;
}

export const OPTIONAL_PACKAGE_GROUPS = {
  tfjs: {
    usedBy: 'Models of the tensorflow, keras and tfjs flavors',
    packages: {
      '@tensorflow/tfjs-core': '^4.22.0',
      '@tensorflow/tfjs-converter': '^4.22.0',
      '@tensorflow/tfjs-layers': '^4.22.0',
      '@tensorflow/tfjs-backend-cpu': '^4.22.0',
      '@tensorflow/tfjs-backend-wasm': '^4.22.0',
    },
    flavors: ['tensorflow', 'keras', 'tfjs'],
    errorCode: 'NOT_IMPLEMENTED',
  },
  h5wasm: {
    usedBy: 'Keras .h5 and .keras models (tensorflow and keras flavors)',
    packages: { h5wasm: '^0.10.3' },
    flavors: ['tensorflow', 'keras'],
    errorCode: 'NOT_IMPLEMENTED',
  },
  onnx: {
    usedBy: 'Models of the onnx flavor',
    packages: { 'onnxruntime-node': '^1.31.1' },
    flavors: ['onnx'],
    // The CPU binaries are in the package; its install script only downloads GPU ones.
    npmFlags: '--ignore-scripts',
    errorCode: 'NOT_IMPLEMENTED',
  },
  sagemaker: {
    usedBy: 'SageMaker deployments',
    packages: {
      '@aws-sdk/client-ecr': '^3.1169.0',
      '@aws-sdk/client-iam': '^3.1178.0',
      '@aws-sdk/client-s3': '^3.1175.0',
      '@aws-sdk/client-sagemaker': '^3.1142.0',
      '@aws-sdk/client-sagemaker-runtime': '^3.1164.0',
      // STS and IAM find the assumed role's ARN when no execution role is given, as MLflow does.
      '@aws-sdk/client-sts': '^3.1178.0',
    },
    errorCode: 'INVALID_STATE',
  },
  s3: {
    usedBy: 's3:// artifacts (Amazon S3 and S3-compatible stores)',
    // Also in the sagemaker group: a missing one is reported as the group its importer names.
    packages: { '@aws-sdk/client-s3': '^3.1175.0' },
    errorCode: 'INVALID_STATE',
  },
  gcs: {
    usedBy: 'gs:// artifacts (Google Cloud Storage)',
    // It brings google-auth-library: key files, gcloud's ADC and the GCE metadata server, as MLflow's google-cloud-storage client.
    packages: { '@google-cloud/storage': '^7.22.0' },
    errorCode: 'INVALID_STATE',
  },
  azure: {
    usedBy: 'wasbs:// artifacts (Azure Blob Storage) and Azure ML deployments',
    packages: { '@azure/storage-blob': '^12.32.0', '@azure/identity': '^4.13.1' },
    errorCode: 'INVALID_STATE',
  },
} as const satisfies Record<string, OptionalPackageGroup>;

export type OptionalPackageGroupName = keyof typeof OPTIONAL_PACKAGE_GROUPS;

/** The `npm install ...` line that brings a group, with each package's range quoted for the shell. */
export function installCommand(group: OptionalPackageGroupName): string {
  const g: OptionalPackageGroup = OPTIONAL_PACKAGE_GROUPS[group];
  const specs = Object.entries(g.packages).map(([name, range]) => `${name}@${range}`);
  return ['npm install', ...(g.npmFlags ? [g.npmFlags] : []), ...specs].join(' ');
}

/** The package a module-not-found error names (ESM: "Cannot find package 'x'", CJS: "Cannot find module 'x'"). */
function missingPackage(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return undefined;
  const m = /Cannot find (?:package|module) '((?:@[^/']+\/)?[^/']+)/.exec((e as Error).message);
  return m?.[1];
}

/**
 * Runs `load` (a dynamic import of an optional package, or of our module that imports one) and
 * turns "module not found" for a package of any group into an MlflowError naming what needs it
 * and the `npm install` that brings its group. Other failures pass through unchanged. `reportAs`
 * names the group to report, for a package that is in several (the first one that holds it otherwise).
 */
export async function importOptional<T>(load: () => Promise<T>, reportAs?: OptionalPackageGroupName): Promise<T> {
  try {
    return await load();
  } catch (e) {
    const name = missingPackage(e);
    const groups = reportAs === undefined ? Object.entries(OPTIONAL_PACKAGE_GROUPS) : [[reportAs, OPTIONAL_PACKAGE_GROUPS[reportAs]] as const];
    const entry = name === undefined ? undefined : groups.find(([, g]) => name in g.packages);
    if (!entry) throw e;
    const [group, g] = entry as [OptionalPackageGroupName, OptionalPackageGroup];
    throw new MlflowError(
      `${g.usedBy} need the optional package '${name}', which is not installed: \`${installCommand(group)}\` brings it`,
      g.errorCode,
      { cause: e },
    );
  }
}
