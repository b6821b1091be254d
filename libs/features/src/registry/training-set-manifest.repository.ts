/** What a training set holds and how it was made; its file lives in the training-set folder. */
export interface TrainingSetManifest {
  readonly id: string;
  readonly digest: string;
  readonly entityDigest: string;
  readonly rowCount: number;
  readonly createdAt: string;
  readonly pointInTime: 'event' | 'knowledge';
  readonly timestampColumn: string;
  /** The vintage the set was computed as of (created_ts <= knownAt); absent in manifests stored before it was recorded. */
  readonly knownAt?: string;
  readonly features: ReadonlyArray<{ readonly view: string; readonly version: number; readonly feature: string }>;
  /** The resolved label view versions of a set that asked for labels (absent otherwise). */
  readonly labels?: ReadonlyArray<{ readonly view: string; readonly version: number; readonly label: string }>;
  readonly columns: readonly string[];
  readonly file: string;
}

/** Training-set manifests by id (each is written once and never changes, so one record per call). */
export interface TrainingSetManifestRepository {
  putTrainingSet(manifest: TrainingSetManifest): Promise<void>;
  getTrainingSet(id: string): Promise<TrainingSetManifest | undefined>;
  /** Every manifest, in id order (ids start with their creation time). */
  listTrainingSets(): Promise<TrainingSetManifest[]>;
}
