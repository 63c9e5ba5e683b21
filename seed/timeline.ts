/**
 * A discrete-event timeline: things scheduled to happen at a time run in time
 * order (ties in the order they were scheduled), and may schedule more. The
 * demo simulation uses it to move one clock forward through weeks of a trial,
 * so every record lands with a realistic past timestamp.
 */
/** Something that happens: it may write through the (async) services. */
export type TimelineEvent = () => void | Promise<void>;

interface Scheduled {
  at: number;
  order: number;
  run: TimelineEvent;
}

export interface Timeline {
  /** Schedules `run` at `at` (milliseconds since the epoch). Anything after the end is dropped: it has not happened yet. */
  at(at: number, run: TimelineEvent): void;
  /**
   * Runs up to `limit` of the things scheduled, in time order, each finishing
   * before the next starts; returns how many ran (0 once nothing is left).
   * `onStep` is told before each one runs.
   */
  runNext(limit: number, onStep?: (at: number) => void): Promise<number>;
  /** Runs everything scheduled, in time order, up to the end. `onStep` is told before each one runs. */
  runAll(onStep?: (at: number) => void): Promise<number>;
  readonly pending: number;
  /** The end of the history (milliseconds since the epoch). */
  readonly end: number;
}

export function createTimeline(endMs: number): Timeline {
  const heap: Scheduled[] = [];
  let order = 0;

  const before = (a: Scheduled, b: Scheduled) => a.at < b.at || (a.at === b.at && a.order < b.order);

  function push(item: Scheduled) {
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  function pop(): Scheduled {
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < heap.length && before(heap[left], heap[smallest])) smallest = left;
        if (right < heap.length && before(heap[right], heap[smallest])) smallest = right;
        if (smallest === i) break;
        [heap[i], heap[smallest]] = [heap[smallest], heap[i]];
        i = smallest;
      }
    }
    return top;
  }

  async function runNext(limit: number, onStep?: (at: number) => void): Promise<number> {
    let steps = 0;
    while (heap.length > 0 && steps < limit) {
      const next = pop();
      onStep?.(next.at);
      await next.run();
      steps++;
    }
    return steps;
  }

  return {
    at(at, run) {
      if (at <= endMs) push({ at, order: order++, run });
    },
    runNext,
    runAll: (onStep) => runNext(Number.POSITIVE_INFINITY, onStep),
    get pending() {
      return heap.length;
    },
    end: endMs,
  };
}
