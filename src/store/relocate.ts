import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * A file store records absolute artifact locations (file:///opt/mlruns/<exp>/<run>/artifacts). When
 * the store is copied or mounted elsewhere those folders are gone. If a recorded location does not
 * exist, and it runs through an experiment folder that this store has (`<root>/<exp>/meta.yaml`)
 * while the recorded experiment folder itself is gone, the same location under this store's root
 * is used instead.
 */
export function relocateIntoStore(localPath: string, storeRoot: string): string {
  const absolute = path.resolve(localPath);
  if (existsSync(absolute)) return absolute;
  const { root } = path.parse(absolute);
  const segments = absolute.slice(root.length).split(path.sep).filter((s) => s !== '');
  for (let i = 0; i < segments.length; i++) {
    if (!existsSync(path.join(storeRoot, segments[i], 'meta.yaml'))) continue;
    if (existsSync(path.join(root, ...segments.slice(0, i + 1)))) continue;
    return path.join(storeRoot, ...segments.slice(i));
  }
  return absolute;
}
