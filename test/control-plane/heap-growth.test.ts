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

  // V8 prints the factor it sized the heap with after each full collection.
  const factorAfterGc = (percent: string, nodeArgs: string[] = []) => {
    const script = `import { applyHeapGrowth } from './control-plane/src/heap-growth.ts'; applyHeapGrowth(); gc();`;
    const r = spawnSync(process.execPath, [...nodeArgs, '--expose-gc', '--trace-gc-verbose', '--conditions=source', '--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, CLARESIA_HEAP_GROWTH_PERCENT: percent },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    const factors = [...r.stdout.matchAll(/\[HeapController\] Limit: .*\(([0-9.]+)\)$/gm)].map((m) => Number(m[1]));
    assert.ok(factors.length > 0, 'no heap limit line in the GC trace');
    return factors.at(-1);
  };

  it('reaches V8 while the process runs: the heap is sized with the factor after the next full collection', function () {
    this.timeout(30_000);
    assert.equal(factorAfterGc('250'), 3.5);
    assert.equal(factorAfterGc('300'), 4);
  });

  it("leaves a --heap-growing-percent given to node on its command line alone", function () {
    this.timeout(30_000);
    assert.equal(factorAfterGc('300', ['--heap-growing-percent=150']), 2.5);
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
