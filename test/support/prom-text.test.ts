import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePrometheusText, sampleValue } from './prom-text.js';

/** The reader the /metrics tests rely on: it must refuse what the exposition format does not allow. */
describe('strict Prometheus text reader (test/support/prom-text.ts)', () => {
  const GOOD = [
    '# HELP a_total Things, with a \\\\ and a \\n.',
    '# TYPE a_total counter',
    'a_total{route="/x/:id",q="say \\"hi\\"\\n"} 3',
    'a_total 1 1700000000000',
    '# TYPE h histogram',
    'h_bucket{le="0.1"} 1',
    'h_bucket{le="+Inf"} 2',
    'h_sum 0.3',
    'h_count 2',
    '# TYPE g gauge',
    'g Nan',
    'g{x="1"} -Inf',
    '',
  ].join('\n');

  it('reads families, escapes, special values and histograms', () => {
    const m = parsePrometheusText(GOOD);
    assert.equal(m.get('a_total')?.help, 'Things, with a \\ and a \n.');
    assert.equal(sampleValue(m, 'a_total', { route: '/x/:id', q: 'say "hi"\n' }), 3);
    assert.equal(m.get('h')?.samples.length, 4);
    assert.ok(Number.isNaN(m.get('g')!.samples[0]!.value));
    assert.equal(sampleValue(m, 'g', { x: '1' }), -Infinity);
  });

  it('refuses what the format does not allow', () => {
    const bad: Record<string, string> = {
      'no final newline': 'a 1',
      'bad metric name': '1a 1\n',
      'bad label name': 'a{1x="y"} 1\n',
      'unquoted label': 'a{x=y} 1\n',
      'bad escape': 'a{x="\\t"} 1\n',
      'not a float': 'a 1,5\n',
      'series twice': 'a{x="1"} 1\na{x="1"} 2\n',
      'TYPE after samples': 'a 1\n# TYPE a gauge\n',
      'split family': '# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na{x="2"} 1\n',
      'negative counter': '# TYPE c counter\nc -1\n',
      'buckets not cumulative': '# TYPE h histogram\nh_bucket{le="1"} 3\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 2\n',
      '+Inf bucket differs from count': '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n',
      'no +Inf bucket': '# TYPE h histogram\nh_bucket{le="1"} 2\nh_sum 1\nh_count 2\n',
    };
    for (const [why, text] of Object.entries(bad)) assert.throws(() => parsePrometheusText(text), Error, why);
  });
});
