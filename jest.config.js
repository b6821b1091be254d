/**
 * Three tiers run by `npm test`: unit (pure logic, next to the code, no I/O), integration (real
 * DuckDB, LMDB, Parquet files; test/integration) and e2e (real servers: HTTP, Kafka, Redis, MLflow).
 */
const transform = {
  '^.+\\.ts$': [
    '@swc/jest',
    {
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        target: 'es2022',
      },
      module: { type: 'commonjs' },
    },
  ],
};
const moduleNameMapper = { '^@app/features$': '<rootDir>/libs/features/src', '^@app/features/(.*)$': '<rootDir>/libs/features/src/$1' };
const common = { transform, moduleNameMapper, testEnvironment: 'node' };

module.exports = {
  testTimeout: 120000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.spec.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
  ],
};
