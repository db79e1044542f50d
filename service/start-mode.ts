// How this process started, for the `listening` log line: from the image's V8 startup snapshot
// (service/snapshot.ts sets it) or from the bundle. Set, not inferred from --snapshot-blob, which
// may also come through NODE_OPTIONS.
let fromSnapshot = false;

export function markStartedFromSnapshot(): void {
  fromSnapshot = true;
}

export function startedFrom(): 'snapshot' | 'bundle' {
  return fromSnapshot ? 'snapshot' : 'bundle';
}
