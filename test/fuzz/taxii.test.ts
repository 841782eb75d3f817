import { describe } from 'node:test';
import { PROPERTIES } from './properties/taxii.js';
import { runProperties } from './support/run.js';

describe('fuzz: TAXII query and Accept parsers', () => runProperties(PROPERTIES));
