import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { DEFAULT_HEAP_GROWTH_PERCENT, heapGrowthPercent } from '../../control-plane/src/heap-growth.js';

describe('control plane heap growth (CLARESIA_HEAP_GROWTH_PERCENT)', () => {
  it('defaults to 300 and takes whole numbers from 0 to 1000', () => {
    assert.equal(DEFAULT_HEAP_GROWTH_PERCENT, 300);
    assert.equal(heapGrowthPercent({}), 300);
    assert.equal(heapGrowthPercent({ CLARESIA_HEAP_GROWTH_PERCENT: '' }), 300);
    assert.equal(heapGrowthPercent({ CLARESIA_HEAP_GROWTH_PERCENT: '0' }), 0);
    assert.equal(heapGrowthPercent({ CLARESIA_HEAP_GROWTH_PERCENT: '150' }), 150);
    for (const bad of ['-1', '1.5', 'lots', '1001']) {
      assert.throws(() => heapGrowthPercent({ CLARESIA_HEAP_GROWTH_PERCENT: bad }), new RegExp(`CLARESIA_HEAP_GROWTH_PERCENT must be a whole number from 0 to 1000, got "${bad.replace('.', '\\.')}"`));
    }
  });

  it('stops serve at start with the variable named when the value is bad', () => {
    const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', 'control-plane/src/cli.ts', 'serve'], {
      env: { ...process.env, CLARESIA_HEAP_GROWTH_PERCENT: 'big' },
      encoding: 'utf8',
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /CLARESIA_HEAP_GROWTH_PERCENT must be a whole number/);
  });
});
