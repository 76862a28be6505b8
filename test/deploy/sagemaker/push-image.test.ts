import { ECRClient } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { ContainerTool } from '../../../src/deploy/docker/index.js';
import { buildAndPushContainer } from '../../../src/deploy/sagemaker/index.js';

const ecr = mockClient(ECRClient);
/** A tool that is never run: every case here fails before building or pushing. */
const TOOL: ContainerTool = { name: 'podman', globalArgs: [], limitArgs: [] };

afterEach(() => {
  ecr.reset();
  vi.unstubAllEnvs();
});
afterAll(() => ecr.restore());

describe('sagemaker build-and-push-container: bad input is refused before building or calling ECR', () => {
  it('an invalid image name', async () => {
    await expect(buildAndPushContainer({ imageName: 'Mlflow Pyfunc', region: 'eu-west-1', tool: TOOL })).rejects.toThrow(/Invalid image name 'Mlflow Pyfunc'/);
    expect(ecr.calls()).toHaveLength(0);
  });

  it('an ECR token that is not user:password, before creating a repository or logging in', async () => {
    ecr.onAnyCommand().resolves({ authorizationData: [{ authorizationToken: Buffer.from('no-colon').toString('base64'), proxyEndpoint: 'https://1.dkr.ecr.eu-west-1.amazonaws.com' }] });
    await expect(buildAndPushContainer({ imageName: 'mlflow-pyfunc', region: 'eu-west-1', tool: TOOL, skipBuild: true })).rejects.toThrow(/not base64 of user:password/);
    expect(ecr.calls().map((c) => c.args[0].constructor.name)).toEqual(['GetAuthorizationTokenCommand']);
  });
});
