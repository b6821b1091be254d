import type { TrainingSetManifest, TrainingSetManifestRepository } from '../../training-set-manifest.repository';
import { PgKv } from './pg-kv';
import type { PgPool } from './pg.pool';

/** TrainingSetManifestRepository in PostgreSQL (registry_training_sets). */
export class PgTrainingSetManifestRepository implements TrainingSetManifestRepository {
  private readonly kv = new PgKv('registry_training_sets');

  constructor(private readonly pool: PgPool) {}

  async putTrainingSet(manifest: TrainingSetManifest): Promise<void> {
    await this.kv.put(this.pool, `training-set/${manifest.id}`, manifest);
  }

  async getTrainingSet(id: string): Promise<TrainingSetManifest | undefined> {
    return this.kv.get<TrainingSetManifest>(this.pool, `training-set/${id}`);
  }

  async listTrainingSets(): Promise<TrainingSetManifest[]> {
    return this.kv.rangeValues<TrainingSetManifest>(this.pool, 'training-set/');
  }
}
