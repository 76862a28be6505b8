import { describe, expect, it, vi } from 'vitest';
import { Command } from 'commander';
import { registerDeployments } from '../../src/cli/deployments.js';
import {
  deploymentTargets,
  getDeploymentTarget,
  parseConfigPairs,
  registerDeploymentTarget,
  targetPath,
  type DeploymentClient,
  type DeploymentTarget,
} from '../../src/deploy/index.js';
import { runLocalArgs } from '../../src/deploy/sagemaker/index.js';
import { workspaceOf } from '../../src/deploy/azureml/index.js';

function fakeTarget(): { target: DeploymentTarget; client: DeploymentClient } {
  const client: DeploymentClient = {
    createDeployment: vi.fn(async (name: string) => ({ name })),
    updateDeployment: vi.fn(async (name: string) => ({ name })),
    deleteDeployment: vi.fn(async () => undefined),
    listDeployments: vi.fn(async () => [{ name: 'a' }]),
    getDeployment: vi.fn(async (name: string) => ({ name })),
    predict: vi.fn(async () => ({ predictions: [0, 2] })),
  };
  const target: DeploymentTarget = { name: 'fake', help: 'fake help', createClient: vi.fn(() => client), runLocal: vi.fn(async () => undefined) };
  return { target, client };
}

async function cli(args: string[]): Promise<string> {
  const out: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out.push(String(chunk));
    return true;
  });
  try {
    const program = new Command('mlflow-ts').exitOverride();
    registerDeployments(program);
    await program.parseAsync(['node', 'mlflow-ts', ...args]);
  } finally {
    spy.mockRestore();
  }
  return out.join('');
}

describe('deployment targets', () => {
  it('sagemaker and azureml register themselves', () => {
    expect(deploymentTargets().map((t) => t.name)).toEqual(expect.arrayContaining(['sagemaker', 'azureml']));
    expect(getDeploymentTarget('sagemaker:/us-east-1').name).toBe('sagemaker');
  });

  it('names the registered targets when one is unknown', () => {
    expect(() => getDeploymentTarget('nosuch:/x')).toThrow(/No deployment target 'nosuch'.*registered targets: .*sagemaker/);
  });

  it('parses target URIs and -C pairs', () => {
    expect(targetPath('sagemaker:/us-east-1/arn:aws:iam::1:role/r')).toEqual(['us-east-1', 'arn:aws:iam::1:role', 'r']);
    expect(parseConfigPairs(['a=1', 'b=x=y'])).toEqual({ a: '1', b: 'x=y' });
    expect(() => parseConfigPairs(['novalue'])).toThrow(/Invalid config 'novalue': expected key=value/);
    expect(workspaceOf('azureml:/subscriptions/s/resourceGroups/g/workspaces/w')).toEqual({ subscriptionId: 's', resourceGroup: 'g', workspace: 'w' });
  });

  it('`deployments` dispatches every verb to the target named by -t', async () => {
    const { target, client } = fakeTarget();
    registerDeploymentTarget(target, { replace: true });
    expect(await cli(['deployments', 'create', '-t', 'fake:/x', '--name', 'd1', '-m', 'examples/iris-js', '-C', 'k=v', '-C', 'n=2'])).toContain('Deployment d1 is created');
    expect(target.createClient).toHaveBeenCalledWith('fake:/x');
    expect(client.createDeployment).toHaveBeenCalledWith('d1', 'examples/iris-js', { flavor: undefined, config: { k: 'v', n: '2' }, endpoint: undefined });
    await cli(['deployments', 'update', '-t', 'fake', '--name', 'd1', '--endpoint', 'e1']);
    expect(client.updateDeployment).toHaveBeenCalledWith('d1', { modelUri: undefined, flavor: undefined, config: {}, endpoint: 'e1' });
    expect(await cli(['deployments', 'delete', '-t', 'fake', '--name', 'd1'])).toContain('Deployment d1 is deleted');
    expect(JSON.parse(await cli(['deployments', 'list', '-t', 'fake']))).toEqual([{ name: 'a' }]);
    expect(JSON.parse(await cli(['deployments', 'get', '-t', 'fake', '--name', 'd1']))).toEqual({ name: 'd1' });
    expect(JSON.parse(await cli(['deployments', 'predict', '-t', 'fake', '--name', 'd1', '-I', 'examples/iris-js/serving_input_example.json']))).toEqual({ predictions: [0, 2] });
    expect(client.predict).toHaveBeenCalledWith('d1', expect.stringContaining('dataframe_split'), undefined);
    await cli(['deployments', 'run-local', '-t', 'fake', '--name', 'd1', '-m', 'examples/iris-js', '-C', 'port=6000']);
    expect(target.runLocal).toHaveBeenCalledWith('d1', 'examples/iris-js', { flavor: undefined, config: { port: '6000' } });
    expect(await cli(['deployments', 'help', '-t', 'fake'])).toContain('fake help');
  });
});

describe('sagemaker run-local', () => {
  it('runs the image as SageMaker does: port to 8080, the model mounted read-only at /opt/ml/model, `serve`', () => {
    const args = runLocalArgs({ name: 'podman', globalArgs: ['--runtime', 'runc'], limitArgs: ['--ulimit', 'nofile=20000:20000'] }, '/models/iris', {
      modelUri: '/models/iris',
      port: 5001,
      image: 'mlflow-pyfunc',
    });
    expect(args).toEqual(['--runtime', 'runc', 'run', '--rm', '--ulimit', 'nofile=20000:20000', '-p', '5001:8080', '-v', '/models/iris:/opt/ml/model:ro', 'mlflow-pyfunc', 'serve']);
  });
});
