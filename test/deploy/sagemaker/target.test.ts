import { DescribeEndpointCommand, ListEndpointsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { deployOptionsFromConfig, sageMakerClient } from '../../../src/deploy/sagemaker/index.js';

const sm = mockClient(SageMakerClient);
const runtime = mockClient(SageMakerRuntimeClient);

beforeEach(() => {
  sm.reset();
  runtime.reset();
});

describe('the sagemaker deployment target', () => {
  it('reads MLflow config keys and the region and role from the target URI', () => {
    const o = deployOptionsFromConfig('iris-app', 'examples/iris-js', {
      instance_count: '3',
      vpc_config: '{"SecurityGroupIds": ["sg-1"], "Subnets": ["s-1"]}',
      synchronous: 'False',
    }, 'sagemaker:/eu-west-1/arn:aws:iam::123456789012:role/exec');
    expect(o).toMatchObject({
      region: 'eu-west-1',
      executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
      instanceCount: 3,
      vpcConfig: { SecurityGroupIds: ['sg-1'], Subnets: ['s-1'] },
      synchronous: false,
    });
    // No image_url: resolved at deploy time as MLflow does (MLFLOW_SAGEMAKER_DEPLOY_IMG_URL, else ECR).
    expect(o.imageUrl).toBeUndefined();
    expect(() => deployOptionsFromConfig('a', 'm', { vpc_config: '{nope' }, 'sagemaker:/eu-west-1')).toThrow(/Invalid vpc_config: not JSON/);
    expect(() => deployOptionsFromConfig('a', 'm', { instance_count: 'two' }, 'sagemaker:/eu-west-1')).toThrow(/Invalid instance_count 'two'/);
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
