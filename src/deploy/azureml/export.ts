import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MlflowError } from '../../errors.js';
import { yamlPackage } from '../../formats/yaml-package.js';
// Registers store/'s model URI schemes (runs:, models:, http(s):...) for resolveModelDir.
import '../../store/uri-schemes.js';
import { resolveModelDir } from '../../model/uri-resolver.js';
import { checkSpec, INFERENCE_ROUTES, type OnlineDeploymentSpec } from './deploy-options.js';

const SCHEMA = 'https://azuremlschemas.azureedge.net/latest';

export interface ExportOptions extends OnlineDeploymentSpec {
  modelUri: string;
  outputDir: string;
  /** Registered model name (default: the endpoint name). */
  modelName?: string;
}

/**
 * `azureml export`: the model and the YAML files `az ml` takes: model.yml, environment.yml,
 * endpoint.yml and deployment.yml. Then:
 *   az ml online-endpoint create -f endpoint.yml
 *   az ml online-deployment create -f deployment.yml --all-traffic
 * The deployment mounts the model; the image's entrypoint finds it under AZUREML_MODEL_DIR/model.
 */
export async function exportAzureMl(options: ExportOptions): Promise<string[]> {
  const spec = checkSpec(options);
  const modelDir = await resolveModelDir(options.modelUri);
  const dir = path.resolve(options.outputDir);
  if (existsSync(dir) && (await readdir(dir)).length > 0) {
    throw new MlflowError(`Output directory '${dir}' is not empty`, 'RESOURCE_ALREADY_EXISTS');
  }
  await mkdir(dir, { recursive: true });
  await cp(modelDir, path.join(dir, 'model'), { recursive: true });
  const modelName = options.modelName ?? spec.endpointName;
  const environment = {
    name: `${spec.endpointName}-env`,
    image: spec.image,
    inference_config: {
      liveness_route: INFERENCE_ROUTES.liveness,
      readiness_route: INFERENCE_ROUTES.readiness,
      scoring_route: INFERENCE_ROUTES.scoring,
    },
  };
  const files: Record<string, unknown> = {
    'model.yml': { $schema: `${SCHEMA}/model.schema.json`, name: modelName, path: 'model', type: 'custom_model' },
    'environment.yml': { $schema: `${SCHEMA}/environment.schema.json`, ...environment },
    'endpoint.yml': { $schema: `${SCHEMA}/managedOnlineEndpoint.schema.json`, name: spec.endpointName, auth_mode: 'key' },
    'deployment.yml': {
      $schema: `${SCHEMA}/managedOnlineDeployment.schema.json`,
      name: spec.deploymentName,
      endpoint_name: spec.endpointName,
      model: { name: modelName, path: 'model', type: 'custom_model' },
      environment,
      environment_variables: spec.environmentVariables,
      instance_type: spec.instanceType,
      instance_count: spec.instanceCount,
    },
  };
  for (const [name, doc] of Object.entries(files)) await writeFile(path.join(dir, name), yamlPackage().stringify(doc));
  return Object.keys(files).map((f) => path.join(dir, f));
}
