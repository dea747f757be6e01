/**
 * In-memory data the trainer sees. Unlabeled sets have NO label field: the target data of every
 * unsupervised method is an UnlabeledSet read through readUnlabeledDataDir. Only the
 * `supervised` oracle gets a LabeledSet for the target.
 */
export interface UnlabeledSet {
  /** n × dim row-major model inputs. */
  x: Float32Array;
  n: number;
  ids: string[];
}

export interface LabeledSet extends UnlabeledSet {
  y: Int32Array;
}
