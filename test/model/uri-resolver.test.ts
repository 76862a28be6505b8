import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Model, registerModelUriResolver, resolveModelDir, uriScheme } from '../../src/model/index.js';
import { MODELS_DIR } from './helpers.js';

describe('model URIs', () => {
  it('tells schemes from paths', () => {
    expect(uriScheme('runs:/abc/model')).toBe('runs');
    expect(uriScheme('models:/iris/1')).toBe('models');
    expect(uriScheme('/tmp/x')).toBeUndefined();
    expect(uriScheme('C:\\models\\x')).toBeUndefined();
  });

  it('resolves plain paths, MLmodel paths and file:// URIs', async () => {
    const dir = path.join(MODELS_DIR, 'iris_logreg');
    expect(await resolveModelDir(dir)).toBe(dir);
    expect(await resolveModelDir(path.join(dir, 'MLmodel'))).toBe(dir);
    expect(await resolveModelDir(`file://${dir}`)).toBe(dir);
  });

  it('uses a registered resolver for its scheme (as store/ registers runs: and models:)', async () => {
    const seen: string[] = [];
    registerModelUriResolver('testscheme', async (uri) => {
      seen.push(uri);
      return path.join(MODELS_DIR, 'iris_logreg_numpy');
    });
    const m = await Model.load('testscheme:/anything/1');
    expect(seen).toEqual(['testscheme:/anything/1']);
    expect(m.modelUuid).toBe('ec8d35fb530f4f46a10e36511efe5150');
  });

  it('a symbolic link loop is named as one, not as a missing path (issue #18)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'uri-loop-'));
    try {
      await symlink(path.join(dir, 'b'), path.join(dir, 'a'));
      await symlink(path.join(dir, 'a'), path.join(dir, 'b'));
      await expect(resolveModelDir(path.join(dir, 'a'))).rejects.toThrow(`Model path '${path.join(dir, 'a')}' cannot be resolved: it is a symbolic link loop (ELOOP)`);
      await expect(resolveModelDir(`file://${dir}/b`)).rejects.toMatchObject({ errorCode: 'INVALID_PARAMETER_VALUE' });
      await expect(resolveModelDir(path.join(dir, 'missing'))).rejects.toThrow('does not exist');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
