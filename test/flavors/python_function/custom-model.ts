import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** A python_function model with its own loader_module in `code/`, written for a test. */
export const CUSTOM_LOADER = `
import os, sys, time
import numpy as np
import pandas as pd
from scaling import scale   # from code/helpers/, which MLflow puts on sys.path too

class Model:
    def __init__(self, data_path, config=None):
        with open(os.path.join(data_path, "offset.txt")) as f:
            self.offset = float(f.read())
        self.config = config or {}

    def predict(self, data, params=None):
        print("user code printing to stdout must not corrupt the protocol")
        sys.stdout.flush()
        os.write(1, b"even a raw write to fd 1\\n")
        mode = (params or {}).get("mode", "sum")
        if mode == "pid":
            return np.array([os.getpid()])
        if mode == "sleep":
            time.sleep(float(params.get("seconds", 30)))
            return np.array([0])
        if mode == "exit":
            os._exit(3)
        if mode == "fail":
            raise ValueError("the model refused this input: alice@example.com SSN 123-45-6789")
        if mode == "frame":
            return pd.DataFrame({"total": scale(data.sum(axis=1).to_numpy()) + self.offset,
                                 "label": ["row%d" % i for i in range(len(data))],
                                 "flag": [True] * len(data)})
        if mode == "series":
            return pd.Series(np.arange(len(data), dtype=np.int32), name="idx")
        if mode == "dict":
            return {"a": np.arange(3, dtype=np.int64), "b": np.array(["u", "v", "w"])}
        if mode == "list":
            return [1, "two", None, float("nan"), {"k": np.float32(0.5)}]
        if mode == "floats":
            return {"list": [1.0, 2.5, float("inf"), -0.0], "n": 3, "x": 2.0, "s": [float("nan"), 1, "é"]}
        if mode == "float":
            return 3.0
        if mode == "nan":
            return float("nan")
        if mode == "config":
            return self.config
        if mode == "echo":
            return data
        if mode == "object":
            return [object()]
        if mode == "missing":
            return [type(v).__name__ + ("-nan" if v != v else "") for v in data.iloc[:, 0]]
        return scale(data.sum(axis=1).to_numpy()) + self.offset

def _load_pyfunc(data_path, config=None):
    return Model(data_path, config)
`;

const ENV_FILES = {
  'python_env.yaml': 'python: 3.11.2\nbuild_dependencies:\n- pip\ndependencies:\n- -r requirements.txt\n',
  'requirements.txt': 'numpy\npandas\n',
  'conda.yaml': 'channels:\n- conda-forge\ndependencies:\n- python=3.11.2\n- pip\n- pip:\n  - numpy\n  - pandas\nname: mlflow-env\n',
};

export interface CustomModelOptions {
  loaderModule?: string;
  loaderSource?: string;
  extraMlmodel?: string;
  envFiles?: Record<string, string>;
}

export async function writeCustomModel(opts: CustomModelOptions = {}): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mlflow-ts-pyfunc-'));
  await mkdir(path.join(dir, 'code', 'helpers'), { recursive: true });
  await mkdir(path.join(dir, 'data'));
  await writeFile(path.join(dir, 'code', 'custom_loader.py'), opts.loaderSource ?? CUSTOM_LOADER);
  await writeFile(path.join(dir, 'code', 'helpers', 'scaling.py'), 'def scale(x):\n    return x * 10\n');
  await writeFile(path.join(dir, 'data', 'offset.txt'), '0.5');
  for (const [name, text] of Object.entries({ ...ENV_FILES, ...opts.envFiles })) await writeFile(path.join(dir, name), text);
  await writeFile(
    path.join(dir, 'MLmodel'),
    `flavors:
  python_function:
    code: code
    data: data
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: ${opts.loaderModule ?? 'custom_loader'}
    python_version: 3.11.2
${opts.extraMlmodel ?? ''}mlflow_version: 2.22.1
signature:
  inputs: null
  outputs: '[{"type": "double", "required": true}]'
  params: '[{"name": "mode", "type": "string", "default": "sum", "shape": null}, {"name":
    "seconds", "type": "double", "default": 30.0, "shape": null}]'
model_uuid: 0b9a2f3c4d5e4f60a1b2c3d4e5f60718
utc_time_created: '2026-11-26 23:00:00.000000'
`,
  );
  return dir;
}
