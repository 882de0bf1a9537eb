// The benchmarks and the tests share it; it lives with the benchmarks, which may not import test code.
export * from '../../bench/support/near-cache-readers';
