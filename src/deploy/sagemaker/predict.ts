import type * as Runtime from '@aws-sdk/client-sagemaker-runtime';
import { MlflowError } from '../../errors.js';
import { assumeRole, awsCallFailed, importSdk } from './aws-clients.js';
import { resolveRegion } from './deploy-options.js';

/** `sagemaker predict` / `deployments predict`: InvokeEndpoint with a scoring request; returns the parsed answer. */
export async function predictSageMaker(
  endpointName: string,
  body: string,
  options: { region?: string; contentType?: string; assumeRoleArn?: string } = {},
): Promise<unknown> {
  const region = resolveRegion(options.region);
  const R = await importSdk<typeof Runtime>('@aws-sdk/client-sagemaker-runtime');
  const client = new R.SageMakerRuntimeClient({ region, credentials: await assumeRole(options.assumeRoleArn, region) });
  const res = await client
    .send(new R.InvokeEndpointCommand({ EndpointName: endpointName, ContentType: options.contentType ?? 'application/json', Body: new TextEncoder().encode(body) }))
    .catch((e: unknown) => {
      throw awsCallFailed(`InvokeEndpoint ${endpointName}`, e);
    });
  const text = new TextDecoder().decode(res.Body);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new MlflowError(`Endpoint ${endpointName} answered with non-JSON content (${res.ContentType ?? 'no content type'})`, 'INTERNAL_ERROR');
  }
}
