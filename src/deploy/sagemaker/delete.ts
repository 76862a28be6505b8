import { MlflowError } from '../../errors.js';
import { awsCallFailed, awsClients, awsErrorName, type AwsClients } from './aws-clients.js';
import { DEFAULT_TIMEOUT_SECONDS, resolveRegion, type TeardownOptions } from './deploy-options.js';
import { waitForStatus } from '../wait-for-status.js';

export interface DeleteOptions extends TeardownOptions {
  appName: string;
}

/** `sagemaker delete`: the endpoint, then (unless archive) its config, models and their S3 archives. */
export async function deleteSageMaker(options: DeleteOptions, clients?: AwsClients): Promise<void> {
  const region = resolveRegion(options.region);
  const aws = clients ?? (await awsClients(region, options.assumeRoleArn, options.onProgress));
  const { sm, SM, s3, S3 } = aws;
  const say = options.onProgress ?? (() => undefined);
  const endpoint = await sm.send(new SM.DescribeEndpointCommand({ EndpointName: options.appName })).catch((e: unknown) => {
    if (awsErrorName(e) === 'ValidationException') {
      throw new MlflowError(`SageMaker endpoint '${options.appName}' does not exist in ${region}`, 'RESOURCE_DOES_NOT_EXIST');
    }
    throw awsCallFailed(`DescribeEndpoint ${options.appName}`, e);
  });
  const configName = endpoint.EndpointConfigName;
  const config = configName ? await sm.send(new SM.DescribeEndpointConfigCommand({ EndpointConfigName: configName })) : undefined;
  say(`Deleting endpoint ${options.appName}`);
  await sm.send(new SM.DeleteEndpointCommand({ EndpointName: options.appName })).catch((e: unknown) => {
    throw awsCallFailed(`DeleteEndpoint ${options.appName}`, e);
  });
  if (options.synchronous ?? true) {
    await waitForStatus({
      what: `endpoint ${options.appName}`,
      describe: async () => {
        try {
          const d = await sm.send(new SM.DescribeEndpointCommand({ EndpointName: options.appName }));
          return { status: d.EndpointStatus ?? 'Unknown', reason: d.FailureReason };
        } catch (e) {
          if (awsErrorName(e) === 'ValidationException') return { status: 'Deleted' };
          throw e;
        }
      },
      done: ['Deleted'],
      failed: ['Failed'],
      timeoutSeconds: options.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
      pollSeconds: options.pollSeconds ?? 10,
      onProgress: say,
    });
  }
  if (options.archive || !configName) return;
  await sm.send(new SM.DeleteEndpointConfigCommand({ EndpointConfigName: configName }));
  for (const variant of config?.ProductionVariants ?? []) {
    if (!variant.ModelName) continue;
    const model = await sm.send(new SM.DescribeModelCommand({ ModelName: variant.ModelName }));
    await sm.send(new SM.DeleteModelCommand({ ModelName: variant.ModelName }));
    const url = model.PrimaryContainer?.ModelDataUrl;
    const m = url ? /^s3:\/\/([^/]+)\/(.+)$/.exec(url) : null;
    if (m) await s3.send(new S3.DeleteObjectCommand({ Bucket: m[1], Key: m[2] }));
  }
}
