import { describe } from 'node:test';
import { PROPERTIES } from './properties/parsers.js';
import { runProperties } from './support/run.js';

describe('fuzz: import parsers and feed shapes', () => runProperties(PROPERTIES));
