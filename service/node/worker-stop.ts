// A cluster worker told to stop before it listens: it holds no connection yet, so it leaves at
// once rather than listen into a stopping cluster. Registered by service/main.ts as it starts; a
// stop that comes earlier still (while bin/ loads the bundle) is sent again once the worker says
// it listens, and it then drains (service/node/cluster.ts).

/** The primary's message carrying a shutdown signal (service/node/cluster.ts). */
export const SIGNAL_MESSAGE = 'oncoclear:signal';

/** Listens for a stop until the worker takes signals itself; returns the function that ends it. */
export function stopBeforeListening(exit: () => void = () => process.exit(0)): () => void {
  const onMessage = (message: unknown) => {
    if ((message as { type?: unknown } | null)?.type === SIGNAL_MESSAGE) exit();
  };
  process.on('message', onMessage);
  return () => process.off('message', onMessage);
}
