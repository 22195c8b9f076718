'use strict';
// CommonJS entry point. The package is written as ES modules; Node ≥ 20.19 (and 22.12) loads an
// ES module graph synchronously from require() when it has no top-level await, which ours has
// not. One implementation, so `instanceof DarknetError` holds across both entry points.
module.exports = require('../dist/index.js');
