import path from 'node:path';
import { S3Client, HeadBucketCommand, PutObjectCommand, DeleteObjectCommand, CreateBucketCommand } from '@aws-sdk/client-s3';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  CreateTransformJobCommand,
  DeleteEndpointCommand,
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  DescribeTransformJobCommand,
  SageMakerClient,
  StopTransformJobCommand,
  UpdateEndpointCommand,
} from '@aws-sdk/client-sagemaker';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MlflowError } from '../../../src/errors.js';
import { deleteSageMaker, deploySageMaker, deployTransformJob, pushModelToSageMaker, terminateTransformJob, type DeployOptions } from '../../../src/deploy/sagemaker/index.js';

const MODEL = path.resolve(import.meta.dirname, '../../../examples/iris-js');
const ROLE = 'arn:aws:iam::123456789012:role/sagemaker-exec';

const sm = mockClient(SageMakerClient);
const s3 = mockClient(S3Client);

/** Every AWS call in the order made, as 'Command' names (both clients). */
let calls: string[] = [];

function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

function options(overrides: Partial<DeployOptions> = {}): DeployOptions {
  return {
    appName: 'iris-app',
    modelUri: MODEL,
    region: 'eu-west-1',
    executionRoleArn: ROLE,
    imageUrl: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/mlflow-pyfunc:latest',
    pollSeconds: 0.001,
    timeoutSeconds: 5,
    ...overrides,
  };
}

/** Records each call; `answer` gives the command's result or throws. */
function record(mock: ReturnType<typeof mockClient>, commands: Record<string, unknown>, answers: Record<string, (input: unknown) => unknown> = {}): void {
  for (const [name, command] of Object.entries(commands)) {
    mock.on(command as never).callsFake((input: unknown) => {
      calls.push(name);
      const answer = answers[name];
      return Promise.resolve(answer ? answer(input) : {});
    });
  }
}

const SM_COMMANDS = {
  CreateEndpoint: CreateEndpointCommand,
  CreateEndpointConfig: CreateEndpointConfigCommand,
  CreateModel: CreateModelCommand,
  CreateTransformJob: CreateTransformJobCommand,
  DeleteEndpoint: DeleteEndpointCommand,
  DeleteEndpointConfig: DeleteEndpointConfigCommand,
  DeleteModel: DeleteModelCommand,
  DescribeEndpoint: DescribeEndpointCommand,
  DescribeEndpointConfig: DescribeEndpointConfigCommand,
  DescribeModel: DescribeModelCommand,
  DescribeTransformJob: DescribeTransformJobCommand,
  StopTransformJob: StopTransformJobCommand,
  UpdateEndpoint: UpdateEndpointCommand,
};
const S3_COMMANDS = { HeadBucket: HeadBucketCommand, PutObject: PutObjectCommand, DeleteObject: DeleteObjectCommand, CreateBucket: CreateBucketCommand };

/** An endpoint that does not exist until CreateEndpoint, then reports `statuses` in turn. */
function newEndpoint(statuses: string[]): Record<string, (input: unknown) => unknown> {
  let created = false;
  return {
    CreateEndpoint: () => {
      created = true;
      return {};
    },
    DescribeEndpoint: () => {
      if (!created) throw awsError('ValidationException', 'Could not find endpoint "iris-app".');
      return { EndpointName: 'iris-app', EndpointStatus: statuses.length > 1 ? statuses.shift() : statuses[0] };
    },
  };
}

beforeEach(() => {
  calls = [];
  sm.reset();
  s3.reset();
  record(s3, S3_COMMANDS);
});
afterEach(() => vi.unstubAllEnvs());

describe('sagemaker deploy', () => {
  it('creates model, config and endpoint in order and waits for InService', async () => {
    record(sm, SM_COMMANDS, newEndpoint(['Creating', 'Creating', 'InService']));
    const progress: string[] = [];
    const result = await deploySageMaker(options({ instanceType: 'ml.c5.xlarge', instanceCount: 2, onProgress: (m) => progress.push(m) }));
    expect(calls).toEqual([
      'DescribeEndpoint', 'HeadBucket', 'PutObject', 'CreateModel', 'CreateEndpointConfig', 'CreateEndpoint',
      'DescribeEndpoint', 'DescribeEndpoint', 'DescribeEndpoint',
    ]);
    expect(result.status).toBe('InService');
    const put = s3.commandCalls(PutObjectCommand)[0].args[0].input;
    expect(put.Bucket).toBe('mlflow-sagemaker-eu-west-1-123456789012');
    expect(put.Key).toBe(`${result.modelName}/model.tar.gz`);
    // gzip magic: the model went up as model.tar.gz
    expect([...(put.Body as Uint8Array).subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    const model = sm.commandCalls(CreateModelCommand)[0].args[0].input;
    expect(model.ExecutionRoleArn).toBe(ROLE);
    expect(model.PrimaryContainer?.ModelDataUrl).toBe(`s3://${put.Bucket}/${put.Key}`);
    const config = sm.commandCalls(CreateEndpointConfigCommand)[0].args[0].input;
    expect(config.ProductionVariants).toEqual([
      expect.objectContaining({ ModelName: result.modelName, InstanceType: 'ml.c5.xlarge', InitialInstanceCount: 2 }),
    ]);
    expect(sm.commandCalls(CreateEndpointCommand)[0].args[0].input).toEqual({ EndpointName: 'iris-app', EndpointConfigName: result.endpointConfigName });
    expect(progress.some((m) => m.includes('InService'))).toBe(true);
  });

  it('passes the VPC and async inference configs through', async () => {
    record(sm, SM_COMMANDS, newEndpoint(['InService']));
    const vpcConfig = { SecurityGroupIds: ['sg-1'], Subnets: ['subnet-1'] };
    const asyncInferenceConfig = { OutputConfig: { S3OutputPath: 's3://out/async' } };
    await deploySageMaker(options({ vpcConfig, asyncInferenceConfig }));
    expect(sm.commandCalls(CreateModelCommand)[0].args[0].input.VpcConfig).toEqual(vpcConfig);
    expect(sm.commandCalls(CreateEndpointConfigCommand)[0].args[0].input.AsyncInferenceConfig).toEqual(asyncInferenceConfig);
  });

  it('tags the model with its URI and the given tags, the config with the app, and passes data capture', async () => {
    record(sm, SM_COMMANDS, newEndpoint(['InService']));
    const dataCaptureConfig = { EnableCapture: true, InitialSamplingPercentage: 100, DestinationS3Uri: 's3://b/capture', CaptureOptions: [{ CaptureMode: 'Output' }] };
    await deploySageMaker(options({ tags: { team: 'ml', audited: true }, dataCaptureConfig }));
    // Python's str() of each value, as MLflow sends them.
    expect(sm.commandCalls(CreateModelCommand)[0].args[0].input.Tags).toEqual([
      { Key: 'team', Value: 'ml' },
      { Key: 'audited', Value: 'True' },
      { Key: 'model_uri', Value: MODEL },
    ]);
    await expect(deploySageMaker(options({ tags: { run: 7 } }))).rejects.toThrow("Invalid tag 'run': give its value as a JSON string (got number)");
    const config = sm.commandCalls(CreateEndpointConfigCommand)[0].args[0].input;
    expect(config.Tags).toEqual([{ Key: 'app_name', Value: 'iris-app' }]);
    expect(config.DataCaptureConfig).toEqual(dataCaptureConfig);
  });

  it('assumes the cross-account role for every call when one is given', async () => {
    const sts = mockClient(STSClient);
    sts.on(AssumeRoleCommand).resolves({ Credentials: { AccessKeyId: 'ASIAX', SecretAccessKey: 'secret', SessionToken: 'token', Expiration: new Date() } });
    try {
      record(sm, SM_COMMANDS, newEndpoint(['InService']));
      const progress: string[] = [];
      await deploySageMaker(options({ assumeRoleArn: 'arn:aws:iam::210987654321:role/deployer', onProgress: (m) => progress.push(m) }));
      expect(sts.commandCalls(AssumeRoleCommand)[0].args[0].input).toEqual({ RoleArn: 'arn:aws:iam::210987654321:role/deployer', RoleSessionName: 'mlflow-sagemaker' });
      expect(progress[0]).toBe('Assuming role arn:aws:iam::210987654321:role/deployer for deployment!');
      // The SageMaker and S3 clients were made with the assumed role's credentials.
      for (const client of [sm.call(0).thisValue, s3.call(0).thisValue] as { config: { credentials: () => Promise<unknown> } }[]) {
        expect(await client.config.credentials()).toMatchObject({ accessKeyId: 'ASIAX', secretAccessKey: 'secret', sessionToken: 'token' });
      }
      // Refused before STS is asked.
      const asked = sts.commandCalls(AssumeRoleCommand).length;
      await expect(deploySageMaker(options({ assumeRoleArn: 'deployer' }))).rejects.toThrow(/Invalid assumed role ARN 'deployer'/);
      expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(asked);
    } finally {
      sts.restore();
    }
  });

  it('rolls back the config, model and archive when CreateEndpoint fails', async () => {
    record(sm, SM_COMMANDS, {
      ...newEndpoint(['InService']),
      CreateEndpoint: () => {
        throw awsError('ResourceLimitExceeded', 'account-level service limit exceeded');
      },
    });
    const err = await deploySageMaker(options()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlflowError);
    expect((err as Error).message).toMatch(/CreateEndpoint iris-app failed: ResourceLimitExceeded/);
    expect((err as Error).message).toMatch(/Rolled back: endpoint config iris-app-config-\w+; model iris-app-model-\w+; s3:\/\//);
    expect(calls).toEqual([
      'DescribeEndpoint', 'HeadBucket', 'PutObject', 'CreateModel', 'CreateEndpointConfig', 'CreateEndpoint',
      'DeleteEndpointConfig', 'DeleteModel', 'DeleteObject',
    ]);
  });

  it('rolls back the endpoint too when it reaches Failed', async () => {
    record(sm, SM_COMMANDS, newEndpoint(['Creating', 'Failed']));
    const err = (await deploySageMaker(options()).catch((e: unknown) => e)) as MlflowError;
    expect(err.message).toMatch(/endpoint iris-app reached status Failed/);
    expect(calls.slice(-4)).toEqual(['DeleteEndpoint', 'DeleteEndpointConfig', 'DeleteModel', 'DeleteObject']);
  });

  it('times out, rolls back, and says so', async () => {
    record(sm, SM_COMMANDS, newEndpoint(['Creating']));
    const err = (await deploySageMaker(options({ timeoutSeconds: 0.05, pollSeconds: 0.01 })).catch((e: unknown) => e)) as MlflowError;
    expect(err.errorCode).toBe('DEADLINE_EXCEEDED');
    expect(err.message).toMatch(/Timed out after 0.05 s waiting for endpoint iris-app \(last status Creating\)/);
    expect(calls.slice(-4)).toEqual(['DeleteEndpoint', 'DeleteEndpointConfig', 'DeleteModel', 'DeleteObject']);
  });

  it('stops at a model that already exists and deletes the uploaded archive', async () => {
    record(sm, SM_COMMANDS, {
      ...newEndpoint(['InService']),
      CreateModel: () => {
        throw awsError('ValidationException', 'Cannot create already existing model "arn:aws:sagemaker:eu-west-1:123456789012:model/x".');
      },
    });
    const err = (await deploySageMaker(options()).catch((e: unknown) => e)) as MlflowError;
    expect(err.errorCode).toBe('INVALID_PARAMETER_VALUE');
    expect(err.message).toMatch(/CreateModel iris-app-model-\w+ failed: ValidationException: Cannot create already existing model/);
    expect(calls).toEqual(['DescribeEndpoint', 'HeadBucket', 'PutObject', 'CreateModel', 'DeleteObject']);
  });

  it('refuses to create over an existing endpoint before creating anything', async () => {
    record(sm, SM_COMMANDS, { DescribeEndpoint: () => ({ EndpointName: 'iris-app', EndpointStatus: 'InService', EndpointConfigName: 'old' }) });
    await expect(deploySageMaker(options())).rejects.toThrow(/already exists in eu-west-1; deploy with mode 'replace' or 'add'/);
    expect(calls).toEqual(['DescribeEndpoint']);
  });

  it('replace: updates the endpoint, then deletes the old config and models', async () => {
    record(sm, SM_COMMANDS, {
      DescribeEndpoint: () => ({ EndpointName: 'iris-app', EndpointStatus: 'InService', EndpointConfigName: 'old-config' }),
      DescribeEndpointConfig: () => ({ EndpointConfigName: 'old-config', ProductionVariants: [{ VariantName: 'v0', ModelName: 'old-model' }] }),
    });
    await deploySageMaker(options({ mode: 'replace' }));
    expect(calls).toEqual([
      'DescribeEndpoint', 'DescribeEndpointConfig', 'HeadBucket', 'PutObject', 'CreateModel', 'CreateEndpointConfig',
      'UpdateEndpoint', 'DescribeEndpoint', 'DeleteEndpointConfig', 'DeleteModel',
    ]);
    expect(sm.commandCalls(DeleteEndpointConfigCommand)[0].args[0].input.EndpointConfigName).toBe('old-config');
    expect(sm.commandCalls(DeleteModelCommand)[0].args[0].input.ModelName).toBe('old-model');
  });

  it('add: the new config keeps the current variants next to the new one', async () => {
    record(sm, SM_COMMANDS, {
      DescribeEndpoint: () => ({ EndpointName: 'iris-app', EndpointStatus: 'InService', EndpointConfigName: 'old-config' }),
      DescribeEndpointConfig: () => ({ EndpointConfigName: 'old-config', ProductionVariants: [{ VariantName: 'v0', ModelName: 'old-model' }] }),
    });
    const r = await deploySageMaker(options({ mode: 'add' }));
    const variants = sm.commandCalls(CreateEndpointConfigCommand)[0].args[0].input.ProductionVariants ?? [];
    expect(variants.map((v) => v.ModelName)).toEqual(['old-model', r.modelName]);
    // As MLflow: the added model gets weight 0, so traffic moves only when the user says so.
    expect(variants[1].InitialVariantWeight).toBe(0);
    expect(calls).not.toContain('DeleteModel');
  });

  it('creates the bucket when it is missing', async () => {
    record(sm, SM_COMMANDS, newEndpoint(['InService']));
    record(s3, S3_COMMANDS, { HeadBucket: () => { throw awsError('NotFound', 'Not Found'); } });
    await deploySageMaker(options());
    expect(calls.slice(0, 4)).toEqual(['DescribeEndpoint', 'HeadBucket', 'CreateBucket', 'PutObject']);
    expect(s3.commandCalls(CreateBucketCommand)[0].args[0].input.CreateBucketConfiguration).toEqual({ LocationConstraint: 'eu-west-1' });
  });

  describe('bad input is refused before any AWS call', () => {
    beforeEach(() => record(sm, SM_COMMANDS, newEndpoint(['InService'])));
    it.each([
      ['a model URI that does not exist', { modelUri: '/no/such/model' }, /Model path '\/no\/such\/model' does not exist/],
      ['a malformed role', { executionRoleArn: 'sagemaker-role' }, /Invalid execution role ARN 'sagemaker-role'/],
      ['an invalid image name', { imageUrl: 'Bad Image!' }, /Invalid image URL 'Bad Image!'/],
      ['an invalid app name', { appName: 'iris_app' }, /Invalid app name 'iris_app'/],
      ['a bad instance count', { instanceCount: 0 }, /Invalid instance count '0'/],
      ['an unknown mode', { mode: 'upsert' as never }, /Invalid mode 'upsert'/],
    ])('%s', async (_what, overrides, message) => {
      await expect(deploySageMaker(options(overrides))).rejects.toThrow(message);
      expect(calls).toEqual([]);
    });

  });
});

describe('sagemaker delete', () => {
  it('deletes the endpoint, waits until it is gone, then its config, models and archives', async () => {
    let deleted = false;
    record(sm, SM_COMMANDS, {
      DescribeEndpoint: () => {
        if (deleted) throw awsError('ValidationException', 'Could not find endpoint');
        return { EndpointName: 'iris-app', EndpointStatus: 'InService', EndpointConfigName: 'cfg' };
      },
      DeleteEndpoint: () => {
        deleted = true;
        return {};
      },
      DescribeEndpointConfig: () => ({ ProductionVariants: [{ ModelName: 'm1' }] }),
      DescribeModel: () => ({ PrimaryContainer: { ModelDataUrl: 's3://bucket/m1/model.tar.gz' } }),
    });
    await deleteSageMaker({ appName: 'iris-app', region: 'eu-west-1', pollSeconds: 0.001 });
    expect(calls).toEqual([
      'DescribeEndpoint', 'DescribeEndpointConfig', 'DeleteEndpoint', 'DescribeEndpoint',
      'DeleteEndpointConfig', 'DescribeModel', 'DeleteModel', 'DeleteObject',
    ]);
    expect(s3.commandCalls(DeleteObjectCommand)[0].args[0].input).toEqual({ Bucket: 'bucket', Key: 'm1/model.tar.gz' });
  });

  it('names an endpoint that does not exist', async () => {
    record(sm, SM_COMMANDS, newEndpoint(['InService']));
    await expect(deleteSageMaker({ appName: 'iris-app', region: 'eu-west-1' })).rejects.toThrow(/endpoint 'iris-app' does not exist in eu-west-1/);
  });
});

describe('sagemaker deploy-transform-job', () => {
  it('creates the model and the job, waits for Completed, then deletes the model', async () => {
    const statuses = ['InProgress', 'Completed'];
    record(sm, SM_COMMANDS, { DescribeTransformJob: () => ({ TransformJobStatus: statuses.shift() }) });
    const r = await deployTransformJob({
      ...options(),
      jobName: 'iris-batch',
      inputDataType: 'S3Prefix',
      inputUri: 's3://in/data.csv',
      contentType: 'text/csv',
      outputPath: 's3://out/',
    });
    expect(r.status).toBe('Completed');
    expect(calls).toEqual(['HeadBucket', 'PutObject', 'CreateModel', 'CreateTransformJob', 'DescribeTransformJob', 'DescribeTransformJob', 'DeleteModel']);
    const job = sm.commandCalls(CreateTransformJobCommand)[0].args[0].input;
    expect(job.TransformInput?.DataSource?.S3DataSource).toEqual({ S3DataType: 'S3Prefix', S3Uri: 's3://in/data.csv' });
  });
});

describe('sagemaker push-model and terminate-transform-job', () => {
  it('push-model uploads the archive and creates the named model, nothing else', async () => {
    record(sm, SM_COMMANDS);
    const { region, executionRoleArn, imageUrl, modelUri } = options();
    expect(await pushModelToSageMaker('iris-model', { region, executionRoleArn, imageUrl, modelUri, bucket: 'my-bucket' })).toBe('iris-model');
    expect(calls).toEqual(['HeadBucket', 'PutObject', 'CreateModel']);
    expect(sm.commandCalls(CreateModelCommand)[0].args[0].input.PrimaryContainer?.ModelDataUrl).toBe('s3://my-bucket/iris-model/model.tar.gz');
  });

  it('terminate-transform-job stops the job, waits until it has stopped, then deletes its model', async () => {
    const statuses = ['InProgress', 'Stopping', 'Stopped'];
    record(sm, SM_COMMANDS, { DescribeTransformJob: () => ({ TransformJobStatus: statuses.shift(), ModelName: 'iris-batch-model-1' }) });
    await terminateTransformJob({ jobName: 'iris-batch', region: 'eu-west-1', pollSeconds: 0.001 });
    expect(calls).toEqual(['DescribeTransformJob', 'StopTransformJob', 'DescribeTransformJob', 'DescribeTransformJob', 'DeleteModel']);
    expect(sm.commandCalls(DeleteModelCommand)[0].args[0].input.ModelName).toBe('iris-batch-model-1');
  });

  it('terminate-transform-job --async returns after StopTransformJob, and must archive (MLflow\'s rule)', async () => {
    record(sm, SM_COMMANDS, { DescribeTransformJob: () => ({ TransformJobStatus: 'InProgress', ModelName: 'm' }) });
    await expect(terminateTransformJob({ jobName: 'iris-batch', region: 'eu-west-1', synchronous: false })).rejects.toThrow(
      /Resources must be archived when `terminate_transform_job\(\)` is executed in non-synchronous mode/,
    );
    expect(calls).toEqual([]);
    await terminateTransformJob({ jobName: 'iris-batch', region: 'eu-west-1', synchronous: false, archive: true });
    expect(calls).toEqual(['DescribeTransformJob', 'StopTransformJob']);
  });
});
