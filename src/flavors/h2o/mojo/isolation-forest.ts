import { CompactTree, treeInputs } from './compact-tree.js';
import { notNative, type MojoReader } from './mojo-model.js';

/**
 * Isolation Forest MOJOs: the shared tree format, each leaf holding the path length; the output
 * is the normalized mean length (`predict`, 1 = most anomalous) and the mean length itself.
 */
export const isolationForestReader: MojoReader = {
  maxVersion: 1.4,
  read({ ini, src, meta }) {
    if (ini.bool('output_anomaly_flag', false)) throw notNative(meta, 'output_anomaly_flag');
    const groups = ini.num('n_trees');
    const minLen = ini.num('min_path_length', 0);
    const maxLen = ini.num('max_path_length', 0);
    const { scoring, domainSizes } = treeInputs(meta);
    const trees: CompactTree[] = [];
    for (let j = 0; j < groups; j++) {
      const name = `trees/t00_${String(j).padStart(3, '0')}.bin`;
      if (src.has(name)) trees.push(CompactTree.decode(src.bytes(name), scoring, domainSizes, `${meta.where} ${name}`));
    }
    return {
      meta,
      predsSize: 2,
      score0(row, _offset, preds) {
        let s = 0;
        for (const t of trees) s += t.score(row);
        preds[1] = groups >= 1 ? s / groups : s;
        preds[0] = maxLen > minLen ? (maxLen - s) / (maxLen - minLen) : 1;
      },
    };
  },
};
