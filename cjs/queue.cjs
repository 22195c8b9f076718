'use strict';
// CommonJS entry point of darknet-node/queue (see index.cjs).
module.exports = require('../dist/queue/index.js');
