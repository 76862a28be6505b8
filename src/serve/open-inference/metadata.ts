import type { Model } from '../../model/model.js';
import type { Schema } from '../../model/signature.js';
import { describeSpec } from './datatypes.js';
import { modelContentType } from './request.js';

/**
 * A model's V2 metadata from its signature, as MLServer's MLflow runtime builds it: each input
 * and output with its datatype, shape and content type, and the request content type the model
 * decodes by default. Unnamed tensors are input-0, input-1 (output-0 ...).
 */
export function modelMetadata(name: string, version: string | undefined, meta: Model): Record<string, unknown> {
  const inputs = meta.getInputSchema();
  return {
    name,
    versions: version === undefined ? [] : [version],
    platform: 'mlflow',
    inputs: tensorsOf(inputs, 'input-'),
    outputs: tensorsOf(meta.getOutputSchema(), 'output-'),
    parameters: { content_type: modelContentType(inputs) },
  };
}

function tensorsOf(schema: Schema | undefined, prefix: string): Record<string, unknown>[] {
  return (schema?.inputs ?? []).map((spec, i) => {
    const { datatype, shape, contentType } = describeSpec(spec);
    return { name: spec.name ?? `${prefix}${i}`, datatype, shape, parameters: { content_type: contentType } };
  });
}
