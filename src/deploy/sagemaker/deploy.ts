import type { ProductionVariant } from '@aws-sdk/client-sagemaker';
import { MlflowError } from '../../errors.js';
import { Rollback } from '../rollback.js';
import { awsCallFailed, awsClients, awsErrorName, type AwsClients } from './aws-clients.js';
import {
  checkDeployOptions,
  DEFAULT_INSTANCE_TYPE,
  DEFAULT_TIMEOUT_SECONDS,
  resolveRegion,
  type DeployOptions,
} from './deploy-options.js';
import { createSageMakerModel, prepareModel, uniqueSuffix } from './sagemaker-model.js';
import { waitForStatus } from '../wait-for-status.js';

export interface DeployResult {
  endpointName: string;
  endpointConfigName: string;
  modelName: string;
  status: string;
}

/**
 * `sagemaker deploy`: model.tar.gz to S3, CreateModel, CreateEndpointConfig, then CreateEndpoint
 * (a new endpoint) or UpdateEndpoint (mode replace: the new model alone; mode add: next to the
 * endpoint's current variants), waiting for InService. When a step fails, everything this call
 * created is deleted again and the error says what failed and what was rolled back.
 */
export async function deploySageMaker(options: DeployOptions, clients?: AwsClients): Promise<DeployResult> {
  const o = { ...options, region: resolveRegion(options.region) };
  checkDeployOptions(o);
  const aws = clients ?? (await awsClients(o.region, o.assumeRoleArn, o.onProgress));
  const prepared = await prepareModel(o, aws);
  const { sm, SM } = aws;
  const mode = o.mode ?? 'create';
  const say = o.onProgress ?? (() => undefined);

  const existing = await sm.send(new SM.DescribeEndpointCommand({ EndpointName: o.appName })).catch((e: unknown) => {
    if (awsErrorName(e) === 'ValidationException') return undefined; // SageMaker's answer for "no such endpoint"
    throw awsCallFailed(`DescribeEndpoint ${o.appName}`, e);
  });
  if (existing && mode === 'create') {
    throw new MlflowError(
      `SageMaker endpoint '${o.appName}' already exists in ${o.region}; deploy with mode 'replace' or 'add' to change it`,
      'RESOURCE_ALREADY_EXISTS',
    );
  }
  const previousConfig = existing
    ? await sm.send(new SM.DescribeEndpointConfigCommand({ EndpointConfigName: existing.EndpointConfigName })).catch((e: unknown) => {
        throw awsCallFailed(`DescribeEndpointConfig ${existing.EndpointConfigName}`, e);
      })
    : undefined;

  const suffix = uniqueSuffix();
  const modelName = `${o.appName}-model-${suffix}`;
  const configName = `${o.appName}-config-${suffix}`;
  const rollback = new Rollback();
  try {
    say(`Uploading the model and creating SageMaker model ${modelName}`);
    await createSageMakerModel(aws, o, prepared, modelName, rollback);

    const variant: ProductionVariant = {
      VariantName: o.variantName ?? modelName,
      ModelName: modelName,
      InitialInstanceCount: o.instanceCount ?? 1,
      InstanceType: (o.instanceType ?? DEFAULT_INSTANCE_TYPE) as ProductionVariant['InstanceType'],
      // As MLflow: a model added to a live endpoint gets no traffic until its weights are changed.
      InitialVariantWeight: mode === 'add' && existing ? 0 : 1,
    };
    const variants = mode === 'add' && previousConfig ? [...(previousConfig.ProductionVariants ?? []), variant] : [variant];
    await sm
      .send(new SM.CreateEndpointConfigCommand({
        EndpointConfigName: configName,
        ProductionVariants: variants,
        AsyncInferenceConfig: o.asyncInferenceConfig as never,
        DataCaptureConfig: o.dataCaptureConfig as never,
        Tags: [{ Key: 'app_name', Value: o.appName }],
      }))
      .catch((e: unknown) => {
        throw awsCallFailed(`CreateEndpointConfig ${configName}`, e);
      });
    rollback.add(`endpoint config ${configName}`, () => sm.send(new SM.DeleteEndpointConfigCommand({ EndpointConfigName: configName })));

    if (existing) {
      say(`Updating endpoint ${o.appName} (mode ${mode})`);
      // A failed update leaves the endpoint on its old configuration: SageMaker rolls it back itself.
      await sm.send(new SM.UpdateEndpointCommand({ EndpointName: o.appName, EndpointConfigName: configName })).catch((e: unknown) => {
        throw awsCallFailed(`UpdateEndpoint ${o.appName}`, e);
      });
    } else {
      say(`Creating endpoint ${o.appName}`);
      await sm.send(new SM.CreateEndpointCommand({ EndpointName: o.appName, EndpointConfigName: configName })).catch((e: unknown) => {
        throw awsCallFailed(`CreateEndpoint ${o.appName}`, e);
      });
      rollback.add(`endpoint ${o.appName}`, () => sm.send(new SM.DeleteEndpointCommand({ EndpointName: o.appName })));
    }

    let status = 'Creating';
    if (o.synchronous ?? true) {
      status = await waitForStatus({
        what: `endpoint ${o.appName}`,
        describe: async () => {
          const d = await sm.send(new SM.DescribeEndpointCommand({ EndpointName: o.appName }));
          return { status: d.EndpointStatus ?? 'Unknown', reason: d.FailureReason };
        },
        done: ['InService'],
        failed: ['Failed', 'OutOfService', 'RollingBack'],
        timeoutSeconds: o.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
        pollSeconds: o.pollSeconds ?? 10,
        onProgress: say,
      });
    }
    if (mode === 'replace' && previousConfig && !o.archive && status === 'InService') {
      await deleteReplaced(aws, previousConfig.EndpointConfigName, (previousConfig.ProductionVariants ?? []).map((v) => v.ModelName), say);
    }
    return { endpointName: o.appName, endpointConfigName: configName, modelName, status };
  } catch (e) {
    throw await rollback.run(e instanceof MlflowError ? e : awsCallFailed('Deployment', e));
  }
}

/** After a replace: the old configuration and its models serve nothing any more. */
async function deleteReplaced(aws: AwsClients, configName: string | undefined, models: (string | undefined)[], say: (m: string) => void): Promise<void> {
  const { sm, SM } = aws;
  if (configName) {
    say(`Deleting the replaced endpoint config ${configName}`);
    await sm.send(new SM.DeleteEndpointConfigCommand({ EndpointConfigName: configName }));
  }
  for (const model of models) {
    if (model) await sm.send(new SM.DeleteModelCommand({ ModelName: model }));
  }
}
