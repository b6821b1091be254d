/**
 * What a training set needs of the offline store: the Parquet files of one view version, and
 * whether revision files are among them (then a (key, event time) may have several rows, told
 * apart by file name). The offline store owns its layout; this is its one window for readers.
 */
export interface OfflineVersionReader {
  files(view: string, version: number): Promise<OfflineVersionFiles>;
}

/** The offline files of one view version. */
export interface OfflineVersionFiles {
  readonly files: readonly string[];
  /** True when a revision added rows beside older ones (several rows per key and event time possible). */
  readonly hasRevisions: boolean;
}
