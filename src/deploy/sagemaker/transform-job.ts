import type { CreateTransformJobCommandInput } from '@aws-sdk/client-sagemaker';
import { MlflowError } from '../../errors.js';
import { Rollback } from '../rollback.js';
import { awsCallFailed, awsClients, type AwsClients } from './aws-clients.js';
import { checkResourceName, DEFAULT_INSTANCE_TYPE, DEFAULT_TIMEOUT_SECONDS, resolveRegion, type ModelOptions, type TeardownOptions } from './deploy-options.js';
import { createSageMakerModel, prepareModel, uniqueSuffix } from './sagemaker-model.js';
import { waitForStatus } from '../wait-for-status.js';

export interface TransformJobOptions extends ModelOptions {
  jobName: string;
  inputDataType: 'ManifestFile' | 'S3Prefix';
  inputUri: string;
  contentType: string;
  outputPath: string;
  compressionType?: 'None' | 'Gzip';
  splitType?: 'None' | 'Line' | 'RecordIO' | 'TFRecord';
  accept?: string;
  assembleWith?: 'None' | 'Line';
  inputFilter?: string;
  outputFilter?: string;
  joinResource?: 'Input' | 'None';
  instanceType?: string;
  instanceCount?: number;
  /** Keep the SageMaker model after the job ends. */
  archive?: boolean;
  synchronous?: boolean;
  timeoutSeconds?: number;
  pollSeconds?: number;
  onProgress?: (message: string) => void;
}

/** `sagemaker deploy-transform-job`: a model and a batch transform job over S3 input; waits for Completed. */
export async function deployTransformJob(options: TransformJobOptions, clients?: AwsClients): Promise<{ jobName: string; modelName: string; status: string }> {
  const o = { ...options, region: resolveRegion(options.region) };
  checkArchiveWhenAsync(o, 'deploy_transform_job');
  checkResourceName(o.jobName, 'job name');
  for (const [field, uri] of [['input URI', o.inputUri], ['output path', o.outputPath]] as const) {
    if (!/^s3:\/\/[^/]+/.test(uri)) throw new MlflowError(`Invalid ${field} '${uri}': expected s3://bucket/...`, 'INVALID_PARAMETER_VALUE');
  }
  const aws = clients ?? (await awsClients(o.region, o.assumeRoleArn));
  const prepared = await prepareModel(o, aws);
  const { sm, SM } = aws;
  const say = o.onProgress ?? (() => undefined);
  const modelName = `${o.jobName}-model-${uniqueSuffix()}`;
  const rollback = new Rollback();
  try {
    await createSageMakerModel(aws, o, prepared, modelName, rollback);
    const input: CreateTransformJobCommandInput = {
      TransformJobName: o.jobName,
      ModelName: modelName,
      TransformInput: {
        DataSource: { S3DataSource: { S3DataType: o.inputDataType, S3Uri: o.inputUri } },
        ContentType: o.contentType,
        CompressionType: o.compressionType ?? 'None',
        SplitType: o.splitType ?? 'Line',
      },
      TransformOutput: { S3OutputPath: o.outputPath, Accept: o.accept ?? 'text/csv', AssembleWith: o.assembleWith ?? 'Line' },
      TransformResources: { InstanceType: (o.instanceType ?? DEFAULT_INSTANCE_TYPE) as never, InstanceCount: o.instanceCount ?? 1 },
      DataProcessing: { InputFilter: o.inputFilter, OutputFilter: o.outputFilter, JoinSource: o.joinResource },
    };
    await sm.send(new SM.CreateTransformJobCommand(input)).catch((e: unknown) => {
      throw awsCallFailed(`CreateTransformJob ${o.jobName}`, e);
    });
    rollback.add(`transform job ${o.jobName}`, () => sm.send(new SM.StopTransformJobCommand({ TransformJobName: o.jobName })));
    let status = 'InProgress';
    if (o.synchronous ?? true) {
      status = await waitForStatus({
        what: `transform job ${o.jobName}`,
        describe: async () => {
          const d = await sm.send(new SM.DescribeTransformJobCommand({ TransformJobName: o.jobName }));
          return { status: d.TransformJobStatus ?? 'Unknown', reason: d.FailureReason };
        },
        done: ['Completed'],
        failed: ['Failed', 'Stopped', 'Stopping'],
        timeoutSeconds: o.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
        pollSeconds: o.pollSeconds ?? 10,
        onProgress: say,
      });
      if (!o.archive) await sm.send(new SM.DeleteModelCommand({ ModelName: modelName }));
    }
    return { jobName: o.jobName, modelName, status };
  } catch (e) {
    throw await rollback.run(e);
  }
}

export interface TerminateTransformJobOptions extends TeardownOptions {
  jobName: string;
}

/** MLflow's rule: resources can be deleted only by a call that waits for the job. */
function checkArchiveWhenAsync(o: { archive?: boolean; synchronous?: boolean }, call: string): void {
  if (o.synchronous === false && !o.archive) {
    throw new MlflowError(
      `Resources must be archived when \`${call}()\` is executed in non-synchronous mode. Either set \`synchronous=True\` or \`archive=True\`.`,
      'INVALID_PARAMETER_VALUE',
    );
  }
}

/** `sagemaker terminate-transform-job`: stops the job, waits until it has, then (unless archive) deletes its model. */
export async function terminateTransformJob(options: TerminateTransformJobOptions, clients?: AwsClients): Promise<void> {
  checkArchiveWhenAsync(options, 'terminate_transform_job');
  const region = resolveRegion(options.region);
  const { sm, SM } = clients ?? (await awsClients(region, options.assumeRoleArn));
  const job = await sm.send(new SM.DescribeTransformJobCommand({ TransformJobName: options.jobName })).catch((e: unknown) => {
    throw awsCallFailed(`DescribeTransformJob ${options.jobName}`, e);
  });
  await sm.send(new SM.StopTransformJobCommand({ TransformJobName: options.jobName })).catch((e: unknown) => {
    throw awsCallFailed(`StopTransformJob ${options.jobName}`, e);
  });
  if (options.synchronous === false) return;
  await waitForStatus({
    what: `transform job ${options.jobName}`,
    describe: async () => {
      const d = await sm.send(new SM.DescribeTransformJobCommand({ TransformJobName: options.jobName }));
      return { status: d.TransformJobStatus ?? 'Unknown', reason: d.FailureReason };
    },
    done: ['Stopped', 'Completed', 'Failed'],
    failed: [],
    timeoutSeconds: options.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
    pollSeconds: options.pollSeconds ?? 10,
    onProgress: options.onProgress ?? (() => undefined),
  });
  if (!options.archive && job.ModelName) await sm.send(new SM.DeleteModelCommand({ ModelName: job.ModelName }));
}
