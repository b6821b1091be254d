import type { Provider } from '@nestjs/common';
import { RunLineageService, TrainingSetReader, TrainingSetService, type FeatureStore } from '@app/features';
import { FEATURE_STORE } from '../common/feature-store.provider';
import { RunsController } from './runs.controller';
import { TrainingSetPresenter } from './training-set.presenter';
import { TrainingSetsController } from './training-sets.controller';

/** Controllers of training sets and run lineage. */
export const trainingSetControllers = [TrainingSetsController, RunsController];

/** The services those controllers inject, taken from the opened FeatureStore. */
export const trainingSetProviders: Provider[] = [
  { provide: TrainingSetService, useFactory: (store: FeatureStore) => store.trainingSets, inject: [FEATURE_STORE] },
  { provide: TrainingSetReader, useFactory: (store: FeatureStore) => store.trainingSetReader, inject: [FEATURE_STORE] },
  { provide: RunLineageService, useFactory: (store: FeatureStore) => store.runs, inject: [FEATURE_STORE] },
  TrainingSetPresenter,
];
