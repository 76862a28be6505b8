import { DescribeEndpointCommand, ListEndpointsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { deployOptionsFromConfig, sageMakerClient } from '../../../src/deploy/sagemaker/index.js';

const sm = mockClient(SageMakerClient);
const runtime = mockClient(SageMakerRuntimeClient);

beforeEach(() => {
  sm.reset();
  runtime.reset();
});

describe('the sagemaker deployment target', () => {
  it('reads MLflow config keys and the region and role to assume from the target URI', () => {
    const o = deployOptionsFromConfig('iris-app', 'examples/iris-js', {
      instance_count: '3',
      vpc_config: '{"SecurityGroupIds": ["sg-1"], "Subnets": ["s-1"]}',
      synchronous: 'False',
      tags: '{"team": "ml"}',
      data_capture_config: '{"EnableCapture": true}',
    }, 'sagemaker:/eu-west-1/arn:aws:iam::123456789012:role/path/deployer');
    expect(o).toMatchObject({
      region: 'eu-west-1',
      // MLflow's rule: the ARN in the URI is a role to assume, not the execution role.
      assumeRoleArn: 'arn:aws:iam::123456789012:role/path/deployer',
      executionRoleArn: undefined,
      tags: { team: 'ml' },
      dataCaptureConfig: { EnableCapture: true },
      instanceCount: 3,
      vpcConfig: { SecurityGroupIds: ['sg-1'], Subnets: ['s-1'] },
      synchronous: false,
    });
    // No image_url: resolved at deploy time as MLflow does (MLFLOW_SAGEMAKER_DEPLOY_IMG_URL, else ECR).
    expect(o.imageUrl).toBeUndefined();
    expect(() => deployOptionsFromConfig('a', 'm', { vpc_config: '{nope' }, 'sagemaker:/eu-west-1')).toThrow(/Invalid vpc_config: not JSON/);
    expect(() => deployOptionsFromConfig('a', 'm', { instance_count: 'two' }, 'sagemaker:/eu-west-1')).toThrow(/Invalid instance_count 'two'/);
    // config assume_role_arn wins over the URI's; no region anywhere: MLflow's us-west-2, not AWS_REGION.
    vi.stubEnv('AWS_REGION', 'ap-south-1');
    try {
      expect(deployOptionsFromConfig('a', 'm', { assume_role_arn: 'arn:aws:iam::123456789012:role/other' }, 'sagemaker')).toMatchObject({
        region: 'us-west-2',
        assumeRoleArn: 'arn:aws:iam::123456789012:role/other',
      });
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('refuses a role ARN without a region, and config keys MLflow does not read, by name', async () => {
    expect(() => sageMakerClient('sagemaker:/arn:aws:iam::123456789012:role/x')).toThrow(/contains an IAM role ARN without a region name/);
    expect(() => deployOptionsFromConfig('a', 'm', { bucket_name: 'b' }, 'sagemaker:/eu-west-1')).toThrow(/Unknown config key 'bucket_name' for SageMaker create\/update: expected one of .*\bbucket\b/);
    const client = sageMakerClient('sagemaker:/eu-west-1');
    await expect(client.deleteDeployment('a', { config: { instance_count: '2' } })).rejects.toThrow(/Unknown config key 'instance_count' for SageMaker delete/);
    await expect(client.createDeployment('a', 'examples/iris-js', { config: { mode: 'replace' } })).rejects.toThrow(/mode applies to update/);
  });

  it('get, list and predict go to DescribeEndpoint, ListEndpoints and InvokeEndpoint', async () => {
    sm.on(DescribeEndpointCommand).resolves({ EndpointName: 'iris-app', EndpointStatus: 'InService' });
    sm.on(ListEndpointsCommand).resolvesOnce({ Endpoints: [{ EndpointName: 'a' } as never], NextToken: 't' }).resolvesOnce({ Endpoints: [{ EndpointName: 'b' } as never] });
    runtime.on(InvokeEndpointCommand).resolves({ Body: new TextEncoder().encode('{"predictions": [0, 2]}') as never, ContentType: 'application/json' });
    const client = sageMakerClient('sagemaker:/eu-west-1');
    expect(await client.getDeployment('iris-app')).toMatchObject({ name: 'iris-app', EndpointStatus: 'InService' });
    expect((await client.listDeployments()).map((d) => d.name)).toEqual(['a', 'b']);
    expect(await client.predict('iris-app', '{"inputs": [[1, 2, 3, 4]]}')).toEqual({ predictions: [0, 2] });
    const call = runtime.commandCalls(InvokeEndpointCommand)[0].args[0].input;
    expect(call.EndpointName).toBe('iris-app');
    expect(call.ContentType).toBe('application/json');
    expect(new TextDecoder().decode(call.Body as Uint8Array)).toBe('{"inputs": [[1, 2, 3, 4]]}');
  });
});
