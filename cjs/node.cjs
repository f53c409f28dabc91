// CommonJS entry of nabla/node, an ES module: as cjs/index.cjs, it hands the module over where Node
// can require() it, and otherwise says how to load it.
'use strict';
try {
  module.exports = require('../dist/node.js');
} catch (e) {
  if (e && /^ERR_REQUIRE_(ESM|ASYNC_MODULE)$/.test(e.code)) {
    const err = new Error("nabla/node is an ES module: load it with `import { load, save } from 'nabla/node'`, or `await import('nabla/node')` in CommonJS (require() cannot load it here: " + e.code + ')');
    err.code = e.code;
    throw err;
  }
  throw e;
}
