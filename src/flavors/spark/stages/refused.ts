/**
 * Stage classes known and deliberately not scored natively, with the reason given in the
 * refusal. Any other unknown class is refused the same way, by its name.
 */
export const refusedStages: Record<string, string> = {
  'ml.dmlc.xgboost4j.scala.spark.XGBoostClassificationModel': 'an xgboost4j-spark booster',
  'ml.dmlc.xgboost4j.scala.spark.XGBoostRegressionModel': 'an xgboost4j-spark booster',
  'com.microsoft.azure.synapse.ml.lightgbm.LightGBMClassificationModel': 'a SynapseML LightGBM booster',
  'com.microsoft.azure.synapse.ml.lightgbm.LightGBMRegressionModel': 'a SynapseML LightGBM booster',
  'com.microsoft.azure.synapse.ml.lightgbm.LightGBMRankerModel': 'a SynapseML LightGBM booster',
  'org.apache.spark.ml.recommendation.ALSModel': 'recommendation',
  'org.apache.spark.ml.clustering.LocalLDAModel': 'topic model',
  'org.apache.spark.ml.clustering.DistributedLDAModel': 'topic model',
  'org.apache.spark.ml.fpm.FPGrowthModel': 'association rules',
  'org.apache.spark.ml.feature.HashingTF': 'its murmur3 term hashing is not implemented',
  'org.apache.spark.ml.feature.FeatureHasher': 'its murmur3 feature hashing is not implemented',
  'org.apache.spark.ml.feature.Word2VecModel': 'not implemented',
};
