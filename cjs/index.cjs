// CommonJS entry of nabla, which is an ES module. Where Node can require() an ES module (20.19+,
// 22.12+) and the module has no top-level await, this hands it over; otherwise it says how to load it.
'use strict';
try {
  module.exports = require('../dist/index.js');
} catch (e) {
  if (e && /^ERR_REQUIRE_(ESM|ASYNC_MODULE)$/.test(e.code)) {
    const err = new Error("nabla is an ES module: load it with `import * as nb from 'nabla'`, or `const nb = await import('nabla')` in CommonJS (require() cannot load it here: " + e.code + ')');
    err.code = e.code;
    throw err;
  }
  throw e;
}
