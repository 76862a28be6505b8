import { describe, expect, it } from 'vitest';
import { fuseBiasActivation } from '../../../src/flavors/tensorflow/fuse-ops.js';
import type { FrozenGraph } from '../../../src/flavors/tensorflow/freeze.js';
import type { GraphNode } from '../../../src/flavors/tensorflow/graph-node.js';

const node = (name: string, op: string, input: string[] = [], attr: GraphNode['attr'] = {}): GraphNode => ({ name, op, input, attr });
const graph = (nodes: GraphNode[], outputs: string[]): FrozenGraph => ({
  nodes, consts: new Map(), inputs: [], outputs: outputs.map((ref, i) => ({ key: `output_${i}`, dtype: 1, shape: undefined, ref })),
});
const fusedOps = (n: GraphNode | undefined): string[] => (n?.attr.fused_ops?.list?.s ?? []).map((s) => new TextDecoder().decode(s));

describe('fuseBiasActivation', () => {
  it('fuses Conv2D -> BiasAdd -> Relu and MatMul -> BiasAdd under the last node\'s name', () => {
    const g = graph([
      node('x', 'Placeholder'), node('k', 'Const'), node('b', 'Const'), node('w', 'Const'), node('c', 'Const'),
      node('conv', 'Conv2D', ['x:0', 'k:0'], { strides: { i: 1 } }), node('bias', 'BiasAdd', ['conv:0', 'b:0']), node('relu', 'Relu', ['bias:0']),
      node('flat', 'Reshape', ['relu:0', 'c:0']), node('mm', 'MatMul', ['flat:0', 'w:0']), node('mmb', 'BiasAdd', ['mm:0', 'b:0']),
    ], ['mmb:0']);
    fuseBiasActivation(g);
    const byName = new Map(g.nodes.map((n) => [n.name, n]));
    expect([...byName.keys()]).toEqual(['x', 'k', 'b', 'w', 'c', 'relu', 'flat', 'mmb']);
    expect(byName.get('relu')).toMatchObject({ op: '_FusedConv2D', input: ['x:0', 'k:0', 'b:0'], attr: { strides: { i: 1 }, num_args: { i: 1 } } });
    expect(fusedOps(byName.get('relu'))).toEqual(['BiasAdd', 'Relu']);
    expect(byName.get('mmb')).toMatchObject({ op: '_FusedMatMul', input: ['flat:0', 'w:0', 'b:0'] });
    expect(fusedOps(byName.get('mmb'))).toEqual(['BiasAdd']);
  });

  it('leaves a link another node or a signature output reads, and NCHW convolutions', () => {
    const g = graph([
      node('x', 'Placeholder'), node('k', 'Const'), node('b', 'Const'),
      node('conv', 'Conv2D', ['x:0', 'k:0']), node('bias', 'BiasAdd', ['conv:0', 'b:0']), node('relu', 'Relu', ['bias:0']),
      node('conv2', 'Conv2D', ['x:0', 'k:0'], { data_format: { s: new TextEncoder().encode('NCHW') } }), node('bias2', 'BiasAdd', ['conv2:0', 'b:0']),
      node('mm', 'MatMul', ['x:0', 'k:0']), node('mmb', 'BiasAdd', ['mm:0', 'b:0']), node('other', 'Neg', ['mm:0']),
    ], ['relu:0', 'bias:0', 'bias2:0', 'mmb:0', 'other:0']);
    fuseBiasActivation(g);
    // bias is an output: Conv2D + BiasAdd fuse, Relu stays apart.
    expect(g.nodes.map((n) => n.op)).toEqual(['Placeholder', 'Const', 'Const', '_FusedConv2D', 'Relu', 'Conv2D', 'BiasAdd', 'MatMul', 'BiasAdd', 'Neg']);
    expect(g.nodes[3].name).toBe('bias');
  });
});
