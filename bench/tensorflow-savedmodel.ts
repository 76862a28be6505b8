// The models of bench/tensorflow.ts: Keras-style networks built with tfjs-layers (seeded
// weights), written out as TensorFlow SavedModels (a frozen serving graph: weights as Const
// nodes, as a TF1 export) inside MLflow model directories, so that they are scored through the
// same path as any SavedModel: the tensorflow flavor's converter and predictor.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '../src/tfjs/tf.js';
import protobuf from 'protobufjs';
import { DT } from '../src/formats/protobuf/index.js';
import { TENSORFLOW_PROTO } from '../src/formats/protobuf/tensorflow.proto.js';

export interface BenchModel {
  name: string;
  label: string;
  /** One example's shape (the batch dimension comes first, -1). */
  inputShape: number[];
  layers: tf.LayersModel;
}

/** 784-128-64-10, ReLU then softmax: the MNIST MLP of Keras's examples. */
export function denseModel(): BenchModel {
  const m = tf.sequential();
  m.add(tf.layers.dense({ inputShape: [784], units: 128, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }), biasInitializer: tf.initializers.randomNormal({ seed: 2, stddev: 0.1 }) }));
  m.add(tf.layers.dense({ units: 64, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }));
  m.add(tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }));
  return { name: 'dense', label: 'Dense 784-128-64-10', inputShape: [784], layers: m };
}

/** 28x28x1: Conv 3x3x8, max-pool 2, Conv 3x3x16, max-pool 2, Dense 10 (softmax). */
export function cnnModel(): BenchModel {
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }) }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.conv2d({ filters: 16, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 6 }) }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 7 }) }));
  return { name: 'cnn', label: 'CNN 28x28x1 conv-pool-conv-pool-dense', inputShape: [28, 28, 1], layers: m };
}

type Attr = Record<string, unknown>;
interface Node { name: string; op: string; input: string[]; attr: Record<string, Attr> }

const FLOAT: Attr = { type: DT.FLOAT };
const ints = (i: number[]): Attr => ({ list: { i } });
const str = (s: string): Attr => ({ s: Buffer.from(s) });
const shapeProto = (dims: number[]): object => ({ dim: dims.map((size) => ({ size })) });

function constNode(name: string, t: tf.Tensor): Node {
  const data = t.dtype === 'int32' ? Int32Array.from(t.dataSync()) : Float32Array.from(t.dataSync());
  const dtype = t.dtype === 'int32' ? DT.INT32 : DT.FLOAT;
  const tensor = { dtype, tensorShape: shapeProto(t.shape), tensorContent: new Uint8Array(data.buffer) };
  return { name, op: 'Const', input: [], attr: { dtype: { type: dtype }, value: { tensor } } };
}

/** The layers model as TensorFlow graph nodes (MatMul/BiasAdd/Conv2D/MaxPool/Reshape/activations). */
function graphNodes(model: BenchModel): { nodes: Node[]; output: string } {
  const nodes: Node[] = [{ name: 'x', op: 'Placeholder', input: [], attr: { dtype: FLOAT, shape: { shape: shapeProto([-1, ...model.inputShape]) } } }];
  let last = 'x';
  const add = (n: Node): void => {
    nodes.push(n);
    last = n.name;
  };
  for (const layer of model.layers.layers) {
    const name = layer.name;
    const config = layer.getConfig();
    const [kernel, bias] = layer.getWeights();
    if (layer.getClassName() === 'Dense' || layer.getClassName() === 'Conv2D') {
      nodes.push(constNode(`${name}/kernel`, kernel), constNode(`${name}/bias`, bias));
      add(layer.getClassName() === 'Dense'
        ? { name: `${name}/MatMul`, op: 'MatMul', input: [last, `${name}/kernel`], attr: { T: FLOAT, transpose_a: { b: false }, transpose_b: { b: false } } }
        : {
          name: `${name}/Conv2D`, op: 'Conv2D', input: [last, `${name}/kernel`],
          attr: { T: FLOAT, strides: ints([1, 1, 1, 1]), dilations: ints([1, 1, 1, 1]), padding: str('VALID'), data_format: str('NHWC') },
        });
      add({ name: `${name}/BiasAdd`, op: 'BiasAdd', input: [last, `${name}/bias`], attr: { T: FLOAT, data_format: str('NHWC') } });
      const activation = { relu: 'Relu', softmax: 'Softmax' }[String(config.activation)];
      if (activation) add({ name: `${name}/${activation}`, op: activation, input: [last], attr: { T: FLOAT } });
    } else if (layer.getClassName() === 'MaxPooling2D') {
      add({ name: `${name}/MaxPool`, op: 'MaxPool', input: [last], attr: { T: FLOAT, ksize: ints([1, 2, 2, 1]), strides: ints([1, 2, 2, 1]), padding: str('VALID'), data_format: str('NHWC') } });
    } else if (layer.getClassName() === 'Flatten') {
      const size = (layer.outputShape as number[]).slice(1).reduce((a, b) => a * b, 1);
      nodes.push(constNode(`${name}/shape`, tf.tensor1d([-1, size], 'int32')));
      add({ name: `${name}/Reshape`, op: 'Reshape', input: [last, `${name}/shape`], attr: { T: FLOAT, Tshape: { type: DT.INT32 } } });
    } else {
      throw new Error(`bench: no graph form for layer ${layer.getClassName()}`);
    }
  }
  return { nodes, output: last };
}

const MLMODEL = [
  'flavors:',
  '  python_function:',
  '    loader_module: mlflow.tensorflow',
  '    python_version: 3.10.12',
  '  tensorflow:',
  '    code: null',
  '    meta_graph_tags:',
  '    - serve',
  '    model_type: tf1-estimator',
  '    saved_model_dir: tfmodel',
  '    signature_def_key: serving_default',
  'mlflow_version: 2.22.1',
  '',
].join('\n');

/** Writes `model` as an MLflow model directory `dir` holding a SavedModel in `tfmodel/`. */
export async function writeSavedModel(model: BenchModel, dir: string): Promise<void> {
  const { nodes, output } = graphNodes(model);
  const root = protobuf.parse(TENSORFLOW_PROTO).root;
  const SavedModel = root.lookupType('tensorflow.SavedModel');
  const info = (name: string, dims: number[]): object => ({ name: `${name}:0`, dtype: DT.FLOAT, tensorShape: shapeProto(dims) });
  const message = SavedModel.fromObject({
    savedModelSchemaVersion: 1,
    metaGraphs: [{
      metaInfoDef: { tags: ['serve'], tensorflowVersion: '2.14.0' },
      graphDef: { node: nodes, versions: { producer: 1575 } },
      signatureDef: {
        serving_default: { inputs: { x: info('x', [-1, ...model.inputShape]) }, outputs: { probabilities: info(output, [-1, 10]) }, methodName: 'tensorflow/serving/predict' },
      },
    }],
  });
  await mkdir(path.join(dir, 'tfmodel', 'variables'), { recursive: true });
  await writeFile(path.join(dir, 'tfmodel', 'saved_model.pb'), SavedModel.encode(message).finish());
  await writeFile(path.join(dir, 'MLmodel'), MLMODEL);
}
