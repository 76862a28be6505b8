/**
 * The texts of MLflow 2.22.1's scoring-request errors (mlflow/pyfunc/scoring_server and
 * mlflow/utils/proto_json_utils.py), shared by the JSON and CSV request readers.
 */

/** The four wrapper keys, listed in the order MLflow's message prints its Python set. */
export const REQUIRED_INPUT_FORMAT =
  "The input must be a JSON dictionary with exactly one of the input fields {'dataframe_records', 'instances', 'inputs', 'dataframe_split'}";

/** MLflow 2.x's hint, appended to answers that look like a 1.x scoring request. */
export const SCORING_PROTOCOL_CHANGE_INFO =
  'IMPORTANT: The MLflow Model scoring protocol has changed in MLflow version 2.0. If you are' +
  ' seeing this error, you are likely using an outdated scoring request format. To resolve the' +
  " error, either update your request format or adjust your MLflow Model's requirements file to" +
  " specify an older version of MLflow (for example, change the 'mlflow' requirement specifier" +
  " to 'mlflow==1.30.0'). If you are making a request using the MLflow client" +
  ' (e.g. via `mlflow.pyfunc.spark_udf()`), upgrade your MLflow client to a version >= 2.0 in' +
  ' order to use the new request format. For more information about the updated MLflow' +
  ' Model scoring protocol in MLflow 2.0, see' +
  ' https://mlflow.org/docs/latest/models.html#deploy-mlflow-models.';

export const CSV_PARSE_FAILED =
  'Failed to parse input as a Pandas DataFrame. Ensure that the input is a valid CSV-formatted' +
  ' Pandas DataFrame produced using the `pandas.DataFrame.to_csv()` method.';
