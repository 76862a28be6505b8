import type * as Ecr from '@aws-sdk/client-ecr';
import { MlflowError } from '../../errors.js';
import { buildImage, type BuildImageOptions } from '../docker/build-image.js';
import { detectContainerTool, type ContainerTool } from '../docker/container-tool.js';
import { checkImageName } from '../docker/image-name.js';
import { runChecked } from '../run-command.js';
import { awsCallFailed, awsErrorName, importSdk } from './aws-clients.js';
import { DEFAULT_IMAGE_TAG } from './default-resources.js';
import { resolveRegion } from './deploy-options.js';

export interface PushImageOptions extends Pick<BuildImageOptions, 'baseImage' | 'onOutput'> {
  /** The local image name and the ECR repository's name, with an optional tag (default mlflow-ts's version, as MLflow tags with its own). */
  imageName: string;
  region?: string;
  /** Push an image that is already built instead of building one. */
  skipBuild?: boolean;
  tool?: ContainerTool;
}

/**
 * `sagemaker build-and-push-container`: builds the serving image (a model is mounted by SageMaker
 * at /opt/ml/model, so none is copied in), creates the ECR repository if missing, logs the
 * container tool in to ECR and pushes. Returns the image URL to deploy with.
 */
export async function buildAndPushContainer(options: PushImageOptions): Promise<string> {
  const imageName = checkImageName(options.imageName);
  const region = resolveRegion(options.region);
  const tool = options.tool ?? (await detectContainerTool());
  if (!options.skipBuild) await buildImage({ imageName, baseImage: options.baseImage, tool, onOutput: options.onOutput });

  const [repository, tag = DEFAULT_IMAGE_TAG] = splitTag(imageName);
  const E = await importSdk<typeof Ecr>('@aws-sdk/client-ecr');
  const ecr = new E.ECRClient({ region });
  const auth = await ecr.send(new E.GetAuthorizationTokenCommand({})).catch((e: unknown) => {
    throw awsCallFailed('ECR GetAuthorizationToken', e);
  });
  const data = auth.authorizationData?.[0];
  if (!data?.authorizationToken || !data.proxyEndpoint) throw new MlflowError('ECR returned no authorization token', 'INTERNAL_ERROR');
  // The token is base64 of "user:password"; only the first colon separates them.
  const decoded = Buffer.from(data.authorizationToken, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) throw new MlflowError('ECR returned an authorization token that is not base64 of user:password', 'INTERNAL_ERROR');
  const [user, password] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
  const registry = data.proxyEndpoint.replace(/^https?:\/\//, '').replace(/\/+$/, '');
  // ECR answers https://; an http:// endpoint is a plain-HTTP registry (a local mirror or test
  // registry), which podman and buildah reach only without TLS. Docker allows plain HTTP to
  // 127.0.0.0/8 itself and takes other insecure registries from its daemon's configuration.
  const plainHttp = data.proxyEndpoint.startsWith('http://') && tool.name !== 'docker' ? ['--tls-verify=false'] : [];
  try {
    await ecr.send(new E.DescribeRepositoriesCommand({ repositoryNames: [repository] }));
  } catch (e) {
    if (awsErrorName(e) !== 'RepositoryNotFoundException') throw awsCallFailed(`ECR DescribeRepositories ${repository}`, e);
    await ecr.send(new E.CreateRepositoryCommand({ repositoryName: repository })).catch((err: unknown) => {
      throw awsCallFailed(`ECR CreateRepository ${repository}`, err);
    });
  }
  const remote = `${registry}/${repository}:${tag}`;
  const g = tool.globalArgs;
  // buildah pushes with the same verbs as podman and docker.
  await runChecked('Logging in to ECR', tool.name, [...g, 'login', ...plainHttp, '--username', user, '--password-stdin', registry], { input: password });
  await runChecked(`Tagging ${imageName}`, tool.name, [...g, 'tag', imageName, remote]);
  await runChecked(`Pushing ${remote}`, tool.name, [...g, 'push', ...plainHttp, remote], { onOutput: options.onOutput });
  return remote;
}

function splitTag(image: string): [string, string?] {
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  const [name, tag] = colon > slash ? [image.slice(0, colon), image.slice(colon + 1)] : [image, undefined];
  // ECR repositories are named without a registry host.
  return [name.slice(name.lastIndexOf('/') + 1), tag];
}
