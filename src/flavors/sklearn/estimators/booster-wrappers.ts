import { MlflowError } from '../../../errors.js';
import type { Builder } from '../estimator.js';

/*
 * XGBoost's and LightGBM's scikit-learn wrappers, by name. Their builders (boosters.ts) bring the
 * booster readers of src/boosters (a dozen modules), so they are loaded only for a pickle that
 * names a class of the xgboost or lightgbm packages (load.ts); scoring any other estimator, or
 * starting `models predict` on one, does not load them. The `mlflow-ts/flavors/sklearn` entry
 * imports boosters.ts itself, so its synchronous buildEstimator knows them from the start.
 */

const WRAPPERS = [
  ...['XGBClassifier', 'XGBRegressor', 'XGBRFClassifier', 'XGBRFRegressor', 'XGBRanker'].map((n) => `xgboost.sklearn.${n}`),
  ...['LGBMClassifier', 'LGBMRegressor', 'LGBMRanker'].map((n) => `lightgbm.sklearn.${n}`),
];

/** The boosters and label encoders pickled inside these wrappers (read by name only). */
export const boosterHelpers = [
  'xgboost.core.Booster', 'xgboost.compat.XGBoostLabelEncoder',
  'lightgbm.basic.Booster', 'lightgbm.compat._LGBMLabelEncoder',
];

/** boosters.ts's builder for each package's wrappers. */
interface WrapperBuilders {
  readonly xgboost: Builder;
  readonly lightgbm: Builder;
}

let loaded: WrapperBuilders | undefined;

/** Called by boosters.ts when it is loaded. */
export function provideBoosterBuilders(builders: WrapperBuilders): void {
  loaded = builders;
}

/** Each wrapper's builder, handing over to boosters.ts's (loaded by then: see loadBoosterBuildersFor). */
export const boosterBuilders: Record<string, Builder> = Object.fromEntries(WRAPPERS.map((name) => [name, (s, build) => {
  if (!loaded) throw new MlflowError(`${s.className}: the XGBoost/LightGBM wrapper code was not loaded before building it`, 'INTERNAL_ERROR');
  return (name.startsWith('xgboost.') ? loaded.xgboost : loaded.lightgbm)(s, build);
}]));

/** Loads boosters.ts when a pickle names a class of the xgboost or lightgbm packages (`modules`: every class's module). */
export async function loadBoosterBuildersFor(modules: Iterable<string>): Promise<void> {
  if (loaded) return;
  for (const m of modules) {
    const top = m.split('.')[0];
    if (top === 'xgboost' || top === 'lightgbm') {
      await import('./boosters.js');
      return;
    }
  }
}
