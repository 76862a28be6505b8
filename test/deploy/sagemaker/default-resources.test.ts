import path from 'node:path';
import { DescribeRepositoriesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { CreateBucketCommand, HeadBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateModelCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { assumedRoleArn, awsClients, pushModelToSageMaker, resolveRegion, sdkIdentity, type AwsIdentity } from '../../../src/deploy/sagemaker/index.js';
import { VERSION } from '../../../src/version.js';

// MLflow's defaults when -e, -i and --region-name are left out (mlflow/sagemaker/__init__.py:
// _get_assumed_role_arn, _get_default_image_url, DEFAULT_REGION_NAME), against mocked AWS clients.
const SKLEARN = path.resolve(import.meta.dirname, '../../../examples/iris-sklearn');
const JS = path.resolve(import.meta.dirname, '../../../examples/iris-js');
const ACCOUNT = '123456789012';
const ROLE_WITH_PATH = `arn:aws:iam::${ACCOUNT}:role/service-role/ml-exec`;
const REPO_URI = `${ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com/mlflow-pyfunc`;

const sm = mockClient(SageMakerClient);
const s3 = mockClient(S3Client);
const ecr = mockClient(ECRClient);
let asked: string[];

/** The STS/IAM answers of an assumed-role session of the role `ml-exec` (path service-role/). */
const identity = (caller = `arn:aws:sts::${ACCOUNT}:assumed-role/ml-exec/botocore-session-1`): AwsIdentity => ({
  callerArn: () => {
    asked.push('GetCallerIdentity');
    return Promise.resolve(caller);
  },
  roleArn: (name) => {
    asked.push(`GetRole ${name}`);
    return Promise.resolve(name === 'ml-exec' ? ROLE_WITH_PATH : Promise.reject(Object.assign(new Error('no role'), { name: 'NoSuchEntity' })));
  },
});

beforeEach(() => {
  asked = [];
  for (const m of [sm, s3, ecr]) m.reset();
  s3.on(HeadBucketCommand).rejects(Object.assign(new Error('not found'), { name: 'NotFound' }));
  s3.on(CreateBucketCommand).resolves({});
  s3.on(PutObjectCommand).resolves({});
  sm.on(CreateModelCommand).resolves({});
  ecr.on(DescribeRepositoriesCommand).resolves({ repositories: [{ repositoryName: 'mlflow-pyfunc', repositoryUri: REPO_URI }] });
  vi.stubEnv('AWS_REGION', '');
  vi.stubEnv('AWS_DEFAULT_REGION', '');
  vi.stubEnv('MLFLOW_SAGEMAKER_DEPLOY_IMG_URL', '');
});
afterEach(() => vi.unstubAllEnvs());

async function push(modelUri: string, more: { executionRoleArn?: string; imageUrl?: string; flavor?: string; region?: string } = {}, who = identity()) {
  const region = resolveRegion(more.region);
  return pushModelToSageMaker('iris-model', { modelUri, region, ...more }, { ...(await awsClients(region)), identity: who });
}

describe('SageMaker defaults as MLflow resolves them', () => {
  it('region us-west-2, the assumed role (GetRole gives its path), the mlflow-pyfunc ECR image tagged with our version', async () => {
    await push(SKLEARN);
    expect(asked).toEqual(['GetCallerIdentity', 'GetRole ml-exec']);
    expect(ecr.commandCalls(DescribeRepositoriesCommand)[0].args[0].input).toEqual({ repositoryNames: ['mlflow-pyfunc'] });
    expect(await ecr.commandCalls(DescribeRepositoriesCommand)[0].thisValue.config.region()).toBe('us-west-2');
    const input = sm.commandCalls(CreateModelCommand)[0].args[0].input;
    expect(input.ExecutionRoleArn).toBe(ROLE_WITH_PATH);
    expect(input.PrimaryContainer?.Image).toBe(`${REPO_URI}:${VERSION}`);
    // The bucket MLflow makes: mlflow-sagemaker-<region>-<account>, in the region.
    expect(input.PrimaryContainer?.ModelDataUrl).toBe(`s3://mlflow-sagemaker-us-west-2-${ACCOUNT}/iris-model/model.tar.gz`);
    expect(s3.commandCalls(CreateBucketCommand)[0].args[0].input.CreateBucketConfiguration).toEqual({ LocationConstraint: 'us-west-2' });
    // MLflow's deployment config: the flavor the container serves.
    expect(input.PrimaryContainer?.Environment).toEqual({ MLFLOW_DEPLOYMENT_FLAVOR_NAME: 'python_function', SERVING_ENVIRONMENT: 'SageMaker' });
  });

  it('AWS_REGION, then AWS_DEFAULT_REGION, come before us-west-2 for library callers', () => {
    expect(resolveRegion(undefined, {})).toBe('us-west-2');
    expect(resolveRegion(undefined, { AWS_DEFAULT_REGION: 'eu-west-1' })).toBe('eu-west-1');
    expect(resolveRegion(undefined, { AWS_REGION: 'ap-south-1', AWS_DEFAULT_REGION: 'eu-west-1' })).toBe('ap-south-1');
    expect(resolveRegion('sa-east-1', { AWS_REGION: 'ap-south-1' })).toBe('sa-east-1');
  });

  it('MLFLOW_SAGEMAKER_DEPLOY_IMG_URL names the image without asking ECR', async () => {
    vi.stubEnv('MLFLOW_SAGEMAKER_DEPLOY_IMG_URL', `${ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com/custom:1`);
    await push(SKLEARN, { executionRoleArn: ROLE_WITH_PATH });
    expect(ecr.calls()).toHaveLength(0);
    expect(asked).toEqual([]);
    expect(sm.commandCalls(CreateModelCommand)[0].args[0].input.PrimaryContainer?.Image).toBe(`${ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com/custom:1`);
  });

  it('a caller that is not an assumed role is refused, naming -e', async () => {
    await expect(push(SKLEARN, {}, identity(`arn:aws:iam::${ACCOUNT}:user/alice`))).rejects.toThrow(
      /AWS caller 'arn:aws:iam::123456789012:user\/alice' is not an assumed role.*--execution-role-arn/,
    );
    expect(sm.calls()).toHaveLength(0);
    expect(s3.calls()).toHaveLength(0);
  });

  it('no mlflow-pyfunc repository: says how to make one', async () => {
    ecr.on(DescribeRepositoriesCommand).rejects(Object.assign(new Error('not found'), { name: 'RepositoryNotFoundException' }));
    await expect(push(SKLEARN, { executionRoleArn: ROLE_WITH_PATH })).rejects.toThrow(
      /no ECR repository 'mlflow-pyfunc' in us-west-2: run `mlflow-ts sagemaker build-and-push-container`, pass --image-url or set MLFLOW_SAGEMAKER_DEPLOY_IMG_URL/,
    );
    expect(s3.calls()).toHaveLength(0);
  });
});

describe('-f/--flavor, as MLflow validates it', () => {
  const given = { executionRoleArn: ROLE_WITH_PATH, imageUrl: `${REPO_URI}:1` };
  it.each([
    ['mleap', SKLEARN, /'mleap' is not supported by mlflow-ts's serving image/],
    ['sklearn', SKLEARN, /The specified flavor: `sklearn` is not supported for deployment. Please use one of the supported flavors: \["python_function"\]/],
    ['python_function', JS, /The specified model does not contain the specified deployment flavor: `python_function`.*\["js_function"\]/],
  ])('%s on %s is refused before anything is created', async (flavor, model, message) => {
    await expect(push(model, { ...given, flavor })).rejects.toThrow(message);
    expect(s3.calls()).toHaveLength(0);
  });

  it('a model without python_function deploys with no flavor variable: the image serves its own flavor', async () => {
    await push(JS, given);
    expect(sm.commandCalls(CreateModelCommand)[0].args[0].input.PrimaryContainer?.Environment).toBeUndefined();
  });
});

describe('the assumed role through the real STS and IAM SDK clients', () => {
  it('asks GetCallerIdentity, then GetRole for the role the session assumed', async () => {
    const { GetCallerIdentityCommand, STSClient } = await import('@aws-sdk/client-sts');
    const { GetRoleCommand, IAMClient } = await import('@aws-sdk/client-iam');
    const sts = mockClient(STSClient);
    const iam = mockClient(IAMClient);
    try {
      sts.on(GetCallerIdentityCommand).resolves({ Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/ml-exec/session-1` });
      iam.on(GetRoleCommand, { RoleName: 'ml-exec' }).resolves({
        Role: { Arn: ROLE_WITH_PATH, RoleName: 'ml-exec', Path: '/service-role/', RoleId: 'AROA', CreateDate: new Date(0) },
      });
      expect(await assumedRoleArn(sdkIdentity('us-west-2'))).toBe(ROLE_WITH_PATH);
      sts.on(GetCallerIdentityCommand).resolves({ Arn: `arn:aws:iam::${ACCOUNT}:user/alice` });
      await expect(assumedRoleArn(sdkIdentity('us-west-2'))).rejects.toThrow(/not an assumed role.*--execution-role-arn/);
    } finally {
      sts.restore();
      iam.restore();
    }
  });
});
