import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { MlflowError } from '../../../errors.js';

/**
 * The files of one MOJO, read from a zip or from an unzipped MOJO folder (h2o-genmodel reads
 * both). `sub(prefix)` is the view a StackedEnsemble gives each base model: its own folder
 * inside the same archive.
 */
export interface MojoSource {
  /** What to name in messages: the file or folder, plus the folder inside it for a sub-model. */
  readonly where: string;
  has(name: string): boolean;
  bytes(name: string): Uint8Array;
  text(name: string): string;
  sub(prefix: string): MojoSource;
}

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
/** A MOJO far larger than any H2O writes is refused before inflating. */
const MAX_MEMBER_BYTES = 2 ** 31 - 1;

class MapSource implements MojoSource {
  constructor(
    private readonly files: ReadonlyMap<string, Uint8Array>,
    readonly where: string,
    private readonly prefix = '',
  ) {}

  has(name: string): boolean {
    return this.files.has(this.prefix + name);
  }

  bytes(name: string): Uint8Array {
    const b = this.files.get(this.prefix + name);
    if (!b) throw new MlflowError(`${this.where}: the MOJO has no file '${name}'`, 'INVALID_PARAMETER_VALUE');
    return b;
  }

  text(name: string): string {
    return new TextDecoder().decode(this.bytes(name));
  }

  sub(prefix: string): MojoSource {
    const p = prefix.endsWith('/') ? prefix : `${prefix}/`;
    return new MapSource(this.files, `${this.where} (${p})`, this.prefix + p);
  }
}

/** Wraps zip bytes already in memory (e.g. a MOJO inside another archive). */
export function mojoFromZipBytes(bytes: Uint8Array, where: string): MojoSource {
  if (!ZIP_MAGIC.every((b, i) => bytes[i] === b)) {
    throw new MlflowError(`${where} is not a MOJO: neither a zip archive nor a folder`, 'INVALID_PARAMETER_VALUE');
  }
  let members: Record<string, Uint8Array>;
  try {
    members = unzipSync(bytes, {
      filter: (f) => {
        if (f.originalSize > MAX_MEMBER_BYTES) {
          throw new MlflowError(`${where}: member ${f.name} is too large (${f.originalSize} bytes)`, 'INVALID_PARAMETER_VALUE');
        }
        return !f.name.endsWith('/');
      },
    });
  } catch (err) {
    if (err instanceof MlflowError) throw err;
    throw new MlflowError(`${where} is a corrupt zip archive: ${(err as Error).message}`, 'INVALID_PARAMETER_VALUE');
  }
  return new MapSource(new Map(Object.entries(members)), where);
}

/** Opens a MOJO zip (or `.mojo`) file, or an unzipped MOJO folder. */
export async function openMojo(file: string): Promise<MojoSource> {
  let st;
  try {
    st = await stat(file);
  } catch (err) {
    throw new MlflowError(`Cannot read MOJO ${file}: ${(err as Error).message}`, 'RESOURCE_DOES_NOT_EXIST');
  }
  if (st.isDirectory()) return new MapSource(await readFolder(file), file);
  return mojoFromZipBytes(await readFile(file), file);
}

async function readFolder(root: string): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  for (const e of entries) {
    if (!e.isFile()) continue;
    const abs = path.join(e.parentPath, e.name);
    files.set(path.relative(root, abs).split(path.sep).join('/'), await readFile(abs));
  }
  return files;
}
