// Integration tests talk to real services: give each test two minutes unless it sets its own bound.
// (jest reads `testTimeout` only from the root configuration, not per project.)
jest.setTimeout(120_000);
