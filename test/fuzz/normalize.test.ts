import { describe } from 'node:test';
import { PROPERTIES } from './properties/normalize.js';
import { runProperties } from './support/run.js';

describe('fuzz: normalizers and refang', () => runProperties(PROPERTIES));
