'use strict';
// Loads the bundled provider through a V8 code cache kept beside it: Terraform launches the
// provider several times per command, and skipping the compile of the bundle (gRPC included)
// saves a good part of every start. A missing or rejected cache is written when the process
// exits, so it holds the bytecode of all that ran, calls included, not only of start-up
// (build.mjs plays one whole session for it).
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');

const bundle = path.join(__dirname, '..', 'dist', 'provider.cjs');
// V8 checks little more than the source length before trusting a cache, so the cache is keyed
// by the bundle's size and modification time, and by the Node version that wrote it.
const stat = fs.statSync(bundle);
const cacheFile = `${bundle}.${stat.size}-${Math.floor(stat.mtimeMs)}.${process.version}.cache`;
let cached;
try {
  cached = fs.readFileSync(cacheFile);
} catch {
  cached = undefined;
}
const script = new vm.Script(Module.wrap(fs.readFileSync(bundle, 'utf8')), { filename: bundle, cachedData: cached });
if (!cached || script.cachedDataRejected) {
  // The bundle may change V8 flags while it runs (src/plugin/tiering.ts); it puts them back in
  // an exit listener ahead of this one, since V8 stamps the flags into the cache it writes.
  process.once('exit', () => {
    try {
      const tmp = `${cacheFile}.${process.pid}`;
      fs.writeFileSync(tmp, script.createCachedData());
      fs.renameSync(tmp, cacheFile);
    } catch {
      // A read-only install just starts without the cache.
    }
  });
}
const mod = { exports: {} };
script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(bundle), mod, bundle, path.dirname(bundle));
