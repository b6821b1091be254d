/** Two tiers run by `npm test`: unit (pure logic, next to the code) and e2e (real DuckDB, files, HTTP). */
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
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
  ],
};
