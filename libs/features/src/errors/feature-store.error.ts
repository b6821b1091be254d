/** Machine-readable error codes of the feature store; the API maps each to an HTTP status. */
export enum ErrorCode {
  InvalidArgument = 'INVALID_ARGUMENT',
  NotFound = 'NOT_FOUND',
  UnknownDataset = 'UNKNOWN_DATASET',
  Conflict = 'CONFLICT',
  SchemaMismatch = 'SCHEMA_MISMATCH',
  MissingColumn = 'MISSING_COLUMN',
  NothingIngested = 'NOTHING_INGESTED',
  UnsupportedMediaType = 'UNSUPPORTED_MEDIA_TYPE',
  PayloadTooLarge = 'PAYLOAD_TOO_LARGE',
  ProviderFailed = 'PROVIDER_FAILED',
  FeatureSqlRejected = 'FEATURE_SQL_REJECTED',
  InvalidDefinition = 'INVALID_DEFINITION',
  UnknownFeatureView = 'UNKNOWN_FEATURE_VIEW',
  /** A feature reference in a request that names no existing view, version or feature (422). */
  UnknownFeature = 'UNKNOWN_FEATURE',
  /** A body names something (a training set, …) that does not exist (422, unlike a 404 path). */
  UnknownReference = 'UNKNOWN_REFERENCE',
  UnknownEntity = 'UNKNOWN_ENTITY',
  /** A label view named where only features go (online lookups, a training set's `features`), or a feature view in `labels` (422). */
  LabelMisuse = 'LABEL_MISUSE',
  Unavailable = 'UNAVAILABLE',
  /** No key, or a key the keys file does not hold (401). */
  Unauthenticated = 'UNAUTHENTICATED',
  /** A known key without the scope, or outside its dataset/view patterns (403). */
  Forbidden = 'FORBIDDEN',
  /** A key over its request rate or its concurrent heavy requests (429, with a retry delay). */
  RateLimited = 'RATE_LIMITED',
  /** A `knownAt` before a dataset's retention horizon: compaction may have dropped what it needs (422). */
  BeforeRetention = 'BEFORE_RETENTION',
}

/** Base class of every error the domain throws on purpose; carries a code and optional details. */
export class FeatureStoreError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The caller sent something malformed: a bad option, a bad value, an unparseable field. */
export class InvalidArgumentError extends FeatureStoreError {
  constructor(message: string, details?: unknown, code: ErrorCode = ErrorCode.InvalidArgument) {
    super(code, message, details);
  }
}

/** A named thing (dataset, view, job…) does not exist. */
export class NotFoundError extends FeatureStoreError {
  constructor(message: string, details?: unknown, code: ErrorCode = ErrorCode.NotFound) {
    super(code, message, details);
  }
}

/** Well-formed input that cannot be applied: a schema clash, a missing column, no valid row. */
export class UnprocessableError extends FeatureStoreError {
  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(code, message, details);
  }
}

/** A dependency (an HTTP provider, a store) failed in a way the caller cannot fix. */
export class DependencyError extends FeatureStoreError {
  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(code, message, details);
  }
}

/** The request carries no key the service knows (401). */
export class UnauthenticatedError extends FeatureStoreError {
  constructor(message: string) {
    super(ErrorCode.Unauthenticated, message, null);
  }
}

/** The key is known but may not do this (403); details name the scope or the name refused. */
export class ForbiddenError extends FeatureStoreError {
  constructor(message: string, details: { scope?: string; dataset?: string; view?: string; featureService?: string }) {
    super(ErrorCode.Forbidden, message, details);
  }
}

/** A key is over one of its limits (429); `retryAfterSeconds` says when to try again. */
export class RateLimitedError extends FeatureStoreError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    details: { limit: 'requests' | 'heavy'; keyId: string; retryAfterSeconds: number },
  ) {
    super(ErrorCode.RateLimited, message, details);
  }
}

/** Compile-time exhaustiveness check for switches over unions and enums. */
export function assertNever(value: never): never {
  throw new Error(`unexpected value ${String(value)}`);
}

/** Feature SQL that is not a single read-only SELECT over `source`, or whose output does not match. */
export class FeatureSqlRejectedError extends FeatureStoreError {
  constructor(message: string, details?: unknown) {
    super(ErrorCode.FeatureSqlRejected, message, details);
  }
}
