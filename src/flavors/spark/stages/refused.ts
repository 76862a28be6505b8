/**
 * Stage classes known and deliberately not scored natively, with the reason given in the
 * refusal. Any other unknown class is refused the same way, by its name.
 */
export const refusedStages: Record<string, string> = {
  'com.microsoft.azure.synapse.ml.lightgbm.LightGBMRankerModel': 'not implemented',
  'org.apache.spark.ml.recommendation.ALSModel': 'recommendation',
  'org.apache.spark.ml.clustering.LocalLDAModel': 'topic model',
  'org.apache.spark.ml.clustering.DistributedLDAModel': 'topic model',
  'org.apache.spark.ml.fpm.FPGrowthModel': 'association rules',
  'org.apache.spark.ml.clustering.BisectingKMeansModel': 'not implemented',
  'org.apache.spark.ml.clustering.GaussianMixtureModel': 'not implemented',
  'org.apache.spark.ml.classification.FMClassificationModel': 'not implemented',
  'org.apache.spark.ml.regression.FMRegressionModel': 'not implemented',
  'org.apache.spark.ml.feature.PolynomialExpansion': 'not implemented',
  'org.apache.spark.ml.feature.DCT': 'not implemented',
  'org.apache.spark.ml.feature.MinHashLSHModel': 'not implemented',
  'org.apache.spark.ml.feature.BucketedRandomProjectionLSHModel': 'not implemented',
};
