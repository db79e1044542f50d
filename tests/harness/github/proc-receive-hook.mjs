/**
 * git's `proc-receive` hook for the emulator's git server (see git-http.ts and githooks(5)).
 *
 * `git receive-pack` hands this hook every ref update of a push after the pushed objects are in
 * the repository. The hook forwards them to the emulator, which decides, moves the refs itself
 * and answers with a status per ref plus the lines to print; this hook relays both, so the
 * client sees `remote:` lines and `! [remote rejected] … (<reason>)` exactly as sent.
 *
 * Protocol (pkt-lines): version negotiation, then the commands, each list ended by a flush.
 */
import { readSync, writeSync } from 'node:fs';

function readExact(length) {
  const buffer = Buffer.alloc(length);
  let offset = 0;
  while (offset < length) {
    let read;
    try {
      read = readSync(0, buffer, offset, length - offset, null);
    } catch (error) {
      if (error.code === 'EAGAIN') continue;
      throw error;
    }
    if (read === 0) throw new Error('proc-receive: unexpected end of input');
    offset += read;
  }
  return buffer;
}

/** One pkt-line without its trailing newline, or null for a flush packet. */
function readPacket() {
  const length = Number.parseInt(readExact(4).toString('ascii'), 16);
  if (length === 0) return null;
  return readExact(length - 4)
    .toString('utf8')
    .replace(/\n$/, '');
}

function readUntilFlush() {
  const lines = [];
  for (let line = readPacket(); line !== null; line = readPacket()) lines.push(line);
  return lines;
}

function writePacket(line) {
  const payload = Buffer.from(`${line}\n`, 'utf8');
  writeSync(1, `${(payload.length + 4).toString(16).padStart(4, '0')}`);
  writeSync(1, payload);
}

const flush = () => writeSync(1, '0000');

const [version] = readUntilFlush();
if (!version?.startsWith('version=1')) {
  writeSync(2, `proc-receive: unsupported protocol ${JSON.stringify(version)}\n`);
  process.exit(1);
}
writePacket('version=1');
flush();

const commands = readUntilFlush().map((line) => {
  const [before, after, ref] = line.split(' ');
  return { before, after, ref };
});

const response = await fetch(process.env.GH_EMULATOR_HOOK_URL, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ push: process.env.GH_EMULATOR_PUSH_ID, commands }),
});
if (!response.ok) {
  writeSync(2, `proc-receive: emulator answered ${response.status}\n`);
  process.exit(1);
}
const { results, messages } = await response.json();
for (const line of messages) writeSync(2, `${line}\n`);
for (const result of results) {
  writePacket(result.ok ? `ok ${result.ref}` : `ng ${result.ref} ${result.reason}`);
}
flush();
