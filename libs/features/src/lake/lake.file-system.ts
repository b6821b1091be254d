/**
 * The file operations the lake's commit protocol is made of. The lake writes through this
 * interface so a test can put a driver in between that fails (or kills the process) at any step,
 * and the production code carries no fault switch.
 */
export interface LakeFileSystem {
  /** The names in a folder; none when the folder does not exist. */
  list(dir: string): Promise<string[]>;
  /** Creates a folder and its parents; an existing one is fine. */
  makeDir(dir: string): Promise<void>;
  readText(path: string): Promise<string>;
  writeText(path: string, text: string): Promise<void>;
  /** Atomic on one file system; fails with ENOTEMPTY or EEXIST when `to` is a non-empty folder. */
  rename(from: string, to: string): Promise<void>;
  /** Removes a file or a folder with everything in it; a missing one is fine. */
  remove(path: string): Promise<void>;
  /** Makes the given files' data and folders' entries durable (all of them, in no given order). */
  sync(paths: readonly string[]): Promise<void>;
}
