/**
 * Replays the regression corpus (test/fuzz/corpus/*.json) through the checks of the fuzz properties: inputs that
 * once failed, and hostile examples from reports and from reference validators. A case with `todo` still fails
 * (a known bug, described there) and is reported as todo instead of failing the suite.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CORPUS_CHECKS as NORMALIZE } from './properties/normalize.js';
import { CORPUS_CHECKS as PARSERS } from './properties/parsers.js';
import { CORPUS_CHECKS as PATTERN } from './properties/pattern.js';
import { CORPUS_CHECKS as TAXII } from './properties/taxii.js';
import { type CorpusChecks, expandInput, label, loadCorpus } from './support/fuzz.js';

const CHECKS: CorpusChecks = { ...NORMALIZE, ...PATTERN, ...TAXII, ...PARSERS };

describe('fuzz corpus', () => {
  const files = loadCorpus();

  it('every corpus file names a known target and has cases', () => {
    assert.ok(files.length > 0, 'no corpus files');
    for (const f of files) {
      assert.ok(Object.hasOwn(CHECKS, f.target), `unknown target ${f.target}`);
      assert.ok(Array.isArray(f.cases) && f.cases.length > 0, `${f.target}: no cases`);
    }
  });

  for (const file of files) {
    const check = CHECKS[file.target];
    if (check === undefined) continue;
    describe(file.target, () => {
      file.cases.forEach((c, i) => {
        const name = `${i + 1}. ${c.note ?? label(c.input)}`;
        it(name, c.todo === undefined ? {} : { todo: c.todo }, async () => {
          await check(expandInput(c.input));
        });
      });
    });
  }
});
