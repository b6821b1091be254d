import type { RootDatabase } from 'lmdb';
import type { TrainingSetManifest, TrainingSetManifestRepository } from '../training-set-manifest.repository';
import { rangeValues } from './lmdb-keys';

/** TrainingSetManifestRepository in the registry's LMDB environment. */
export class LmdbTrainingSetManifestRepository implements TrainingSetManifestRepository {
  constructor(private readonly db: RootDatabase) {}

  async putTrainingSet(manifest: TrainingSetManifest): Promise<void> {
    await this.db.put(`training-set/${manifest.id}`, manifest);
  }

  async getTrainingSet(id: string): Promise<TrainingSetManifest | undefined> {
    return this.db.get(`training-set/${id}`) as TrainingSetManifest | undefined;
  }

  async listTrainingSets(): Promise<TrainingSetManifest[]> {
    return rangeValues<TrainingSetManifest>(this.db, 'training-set/');
  }
}
