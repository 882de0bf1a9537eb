// Moved to scripts/stack (the demo uses it too, and a script must not import test code); kept for the tests.
export * from '../../scripts/stack/unique-name';
