import { readHeadBehaves } from '../helpers/read-head.js';

readHeadBehaves('addon');
