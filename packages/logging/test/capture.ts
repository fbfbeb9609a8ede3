/** A destination that keeps what a logger writes, for reading it back in tests. */
import { Writable } from 'node:stream';

/** Collects log lines written to it. */
export class Capture extends Writable {
  readonly chunks: string[] = [];

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.chunks.push(chunk.toString());
    done();
  }

  /** Everything written so far. */
  get text(): string {
    return this.chunks.join('');
  }

  /** The lines written so far, parsed. */
  get lines(): Record<string, unknown>[] {
    return this.text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}
