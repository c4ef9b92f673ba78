// At most `size` platform calls under way at once.

export type Pool = <T>(task: () => Promise<T>) => Promise<T>;

/** Runs at most `size` tasks at once, in the order they ask. */
export function createPool(size: number): Pool {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async function run<T>(task: () => Promise<T>): Promise<T> {
    if (active < size) active++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      // The slot passes to the next task as it is, so a newcomer cannot take it in between.
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}
