/**
 * A discrete-event timeline: things scheduled to happen at a time run in time
 * order (ties in the order they were scheduled), and may schedule more. The
 * demo simulation uses it to move one clock forward through weeks of a trial,
 * so every record lands with a realistic past timestamp.
 */
interface Scheduled {
  at: number;
  order: number;
  run: () => void;
}

export interface Timeline {
  /** Schedules `run` at `at` (milliseconds since the epoch). Anything after the end is dropped: it has not happened yet. */
  at(at: number, run: () => void): void;
  /** Runs everything scheduled, in time order, up to the end. `onStep` is told before each one runs. */
  runAll(onStep?: (at: number) => void): number;
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

  return {
    at(at, run) {
      if (at <= endMs) push({ at, order: order++, run });
    },
    runAll(onStep) {
      let steps = 0;
      while (heap.length > 0) {
        const next = pop();
        onStep?.(next.at);
        next.run();
        steps++;
      }
      return steps;
    },
    get pending() {
      return heap.length;
    },
    end: endMs,
  };
}
