import { describe } from 'node:test';
import { PROPERTIES } from './properties/pattern.js';
import { runProperties } from './support/run.js';

describe('fuzz: STIX pattern grammar and parser', () => runProperties(PROPERTIES));
