/**
 * The integration suite's entry point, in the form `@vscode/test-electron` (and VS Code's
 * `extensionTestsPath`) expects: `run()` resolves when every test passed and rejects otherwise.
 * It runs in the extension host; the test files are the bundled `*.test.js` next to this file.
 * CIRCUIT_INSPECTOR_GREP (in the host's environment) runs only the tests whose titles match.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  // Stack traces point into test/suite/*.ts (the bundles carry inline source maps).
  process.setSourceMapsEnabled?.(true);
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 120_000, reporter: 'spec' });
  const grep = process.env.CIRCUIT_INSPECTOR_GREP;
  if (grep) mocha.grep(grep);
  const files = fs
    .readdirSync(__dirname)
    .filter((name) => name.endsWith('.test.js'))
    .sort();
  for (const file of files) mocha.addFile(path.join(__dirname, file));

  return new Promise((resolve, reject) => {
    try {
      mocha.run((failures) => {
        if (failures > 0) reject(new Error(`${failures} integration test${failures === 1 ? '' : 's'} failed.`));
        else resolve();
      });
    } catch (error) {
      reject(error instanceof Error ? error : new Error(String(error)));
    }
  });
}
