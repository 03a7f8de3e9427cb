export interface Clock {
  now(): Date;
}

/** The real time; a test may set a fixed time instead, and move it. */
export type SettableClock = Clock & { set(at: Date | null): void };

export function systemClock(): SettableClock {
  let fixed: Date | null = null;
  return {
    now: () => (fixed ? new Date(fixed) : new Date()),
    set: (at) => {
      fixed = at;
    },
  };
}
