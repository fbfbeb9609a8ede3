/**
 * medsim's CLI as a library: the benchmark and the demo return data, for harnesses that want the
 * numbers and outcomes as values instead of text.
 */
export { runCryptoBenchmark, DEFAULT_SIZES, type BenchmarkOptions, type BenchmarkResult, type GoalResult, type PathResult } from './bench/run-benchmark.js';
export { runCryptoDemo, type DemoStep } from './demo/crypto-demo.js';
