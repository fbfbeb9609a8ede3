/**
 * Load for the gateway benchmark: N publishers at QoS 1, driven open-loop (a fixed offered rate,
 * spread evenly over the devices) or closed-loop (each device sends its next message when the
 * previous one is acknowledged: the most the path can carry).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { LatencyBook } from './latency.js';

/** One publisher of the benchmark. */
export interface Publisher {
  readonly id: string;
  /** Sends the next message; `key` is called before the send with the message's key; resolves on PUBACK. */
  send(onKey: (key: string) => void): Promise<string>;
}

/** Sends `rate` messages per second in all for `durationMs`, evenly spread over the publishers. */
export async function openLoop(publishers: readonly Publisher[], rate: number, durationMs: number, book: LatencyBook): Promise<void> {
  const periodMs = (publishers.length / rate) * 1000;
  const timers: NodeJS.Timeout[] = [];
  let failures = 0;
  book.start();
  publishers.forEach((publisher, i) => {
    const fire = (): void => {
      publisher.send((key) => book.sent(key)).then(
        (key) => book.acked(key),
        () => (failures += 1),
      );
    };
    // Evenly staggered phases: the offered load is smooth, not 1,000 messages in one tick.
    timers.push(
      setTimeout(() => {
        fire();
        timers.push(setInterval(fire, periodMs));
      }, (i / publishers.length) * periodMs),
    );
  });
  await sleep(durationMs);
  for (const timer of timers) clearTimeout(timer);
  book.stop();
  if (failures > 0) throw new Error(`${failures} publishes failed during the run`);
}

/** Each publisher sends as fast as acknowledgements come back, for `durationMs`. */
export async function closedLoop(publishers: readonly Publisher[], durationMs: number, book: LatencyBook): Promise<void> {
  let running = true;
  book.start();
  const loops = publishers.map(async (publisher) => {
    while (running) book.acked(await publisher.send((key) => book.sent(key)));
  });
  await sleep(durationMs);
  running = false;
  book.stop();
  await Promise.all(loops);
}

/** Waits until nothing acknowledged is still travelling, or `timeoutMs`. */
export async function drain(book: LatencyBook, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (book.outstanding > 0 && Date.now() < deadline) await sleep(20);
}
