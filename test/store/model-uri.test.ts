import { describe, expect, it } from 'vitest';
import { MlflowError } from '../../src/errors.js';
import { parseModelsUri, parseRunsUri } from '../../src/store/model-uri.js';
import { resolveMlflowArtifactsUri } from '../../src/store/artifact-repository.js';


function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('models:/ URIs', () => {
  it('parses versions, stages, latest and aliases as MLflow does', () => {
    expect(parseModelsUri('models:/iris/1')).toEqual({ name: 'iris', version: '1' });
    expect(parseModelsUri('models:/iris/Staging')).toEqual({ name: 'iris', stage: 'Staging' });
    expect(parseModelsUri('models:/iris/latest')).toEqual({ name: 'iris' });
    expect(parseModelsUri('models:/iris/LATEST')).toEqual({ name: 'iris' });
    expect(parseModelsUri('models:/iris@champion')).toEqual({ name: 'iris', alias: 'champion' });
    expect(parseModelsUri('models:/my@model@prod')).toEqual({ name: 'my@model', alias: 'prod' });
  });

  it.each(['models:/', 'models:/iris', 'models:/iris/1/2', 'models:/iris/', 'models:/@x', 'models:/iris@', 'models:iris/1', 'runs:/x/y'])(
    'refuses %s with MLflow message',
    (uri) => {
      const err = thrown(() => parseModelsUri(uri));
      expect(err).toBeInstanceOf(MlflowError);
      expect((err as MlflowError).errorCode).toBe('INVALID_PARAMETER_VALUE');
      expect((err as MlflowError).message).toBe(
        `Not a proper models:/ URI: ${uri}. Models URIs must be of the form 'models:/model_name/suffix' or ` +
          "'models:/model_name@alias' where suffix is a model version, stage, or the string 'latest' and where alias " +
          'is a registered model alias. Only one of suffix or alias can be defined at a time.',
      );
    },
  );
});

describe('runs:/ URIs', () => {
  it('splits the run id from the artifact path', () => {
    expect(parseRunsUri('runs:/abc/model')).toEqual({ runId: 'abc', artifactPath: 'model' });
    expect(parseRunsUri('runs:/abc/a/b/c')).toEqual({ runId: 'abc', artifactPath: 'a/b/c' });
    expect(parseRunsUri('runs:/abc')).toEqual({ runId: 'abc' });
    expect(parseRunsUri('runs:/abc/')).toEqual({ runId: 'abc' });
  });

  it.each(['runs:/abc/../../../../etc', 'runs:/abc/model/../../x', 'runs:/abc/%2e%2e/%2e%2e/x', 'runs:/abc/%2E%2e%2Fsecret', 'runs:/abc/%252e%252e/x', 'runs:/abc/a\\..\\..\\x'])(
    'refuses %s, which climbs out of the run\'s artifacts, naming the path',
    (uri) => {
      const err = thrown(() => parseRunsUri(uri));
      expect(err).toBeInstanceOf(MlflowError);
      expect((err as MlflowError).errorCode).toBe('INVALID_PARAMETER_VALUE');
      expect((err as MlflowError).message).toBe(
        `Invalid artifact path '${uri.slice('runs:/abc/'.length)}' in ${uri}: it climbs out of the run's artifact root ('..' once percent-decoded)`,
      );
    },
  );

  it('keeps dots that do not climb', () => {
    expect(parseRunsUri('runs:/abc/model..v2/x.y')).toEqual({ runId: 'abc', artifactPath: 'model..v2/x.y' });
    expect(parseRunsUri('runs:/abc/100%/x')).toEqual({ runId: 'abc', artifactPath: '100%/x' });
  });

  it.each(['runs:/', 'runs:', 'runs://abc/model', 'runs:abc/model'])('refuses %s', (uri) => {
    expect(() => parseRunsUri(uri)).toThrow(
      `Not a proper runs:/ URI: ${uri}. Runs URIs must be of the form 'runs:/<run_id>/run-relative/path/to/artifact'`,
    );
  });
});

describe('mlflow-artifacts URIs', () => {
  it('resolve against the tracking server, or the host they name', () => {
    expect(resolveMlflowArtifactsUri('mlflow-artifacts:/0/abc/artifacts/model', 'http://localhost:5000')).toBe(
      'http://localhost:5000/api/2.0/mlflow-artifacts/artifacts/0/abc/artifacts/model',
    );
    expect(resolveMlflowArtifactsUri('mlflow-artifacts:/0/abc', 'https://host/prefix/')).toBe(
      'https://host/prefix/api/2.0/mlflow-artifacts/artifacts/0/abc',
    );
    expect(resolveMlflowArtifactsUri('mlflow-artifacts://srv:8080/0/abc', './mlruns')).toBe(
      'http://srv:8080/api/2.0/mlflow-artifacts/artifacts/0/abc',
    );
  });

  it('need an http tracking URI when they name no host', () => {
    expect(() => resolveMlflowArtifactsUri('mlflow-artifacts:/0/abc', './mlruns')).toThrow(
      /When an mlflow-artifacts URI was supplied, the tracking URI must be a valid http or https URI, but it was currently set to \.\/mlruns/,
    );
  });
});
