/**
 * Git's smart HTTP protocol, served from the emulator's own port the way GitHub serves
 * `https://github.com/owner/repo.git`: the real `git http-backend` (as CGI) over the bare
 * repository, with GitHub's authentication (a token as the Basic password, which is what
 * actions/checkout's `http.extraheader` sends) and its server-side push checks.
 *
 * Every ref update of a push goes through a `proc-receive` hook (git 2.29+), which hands it
 * back to the emulator: the emulator decides, moves the ref itself and answers `ok` or
 * `ng <reason>`. That is how "protected branch hook declined" and GitHub's `remote:` lines reach
 * the client verbatim. Pushes to the bare repository's file path bypass all of this.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gitEnv } from './git.js';
import type { RefUpdate } from './protection.js';

/** Who is pushing, as authenticated by their token. */
export interface PushSession {
  login: string;
  token: string;
}

/** The emulator's answer for one ref update. */
export interface RefResult {
  ref: string;
  ok: boolean;
  /** Shown by git as `! [remote rejected] src -> dst (<reason>)`. */
  reason?: string;
}

/** The emulator's answer for a whole push; `messages` are printed as `remote:` lines. */
export interface PushOutcome {
  results: RefResult[];
  messages: string[];
}

/** What the git server needs from the emulator. */
export interface GitHttpOptions {
  owner: string;
  repo: string;
  bareRepoPath: string;
  /** Base URL of the emulator's server. */
  baseUrl: string;
  /** The login a token authenticates as. */
  loginFor(token: string): string;
  /** Decides on and applies a push's ref updates. */
  receive(session: PushSession, updates: RefUpdate[]): Promise<PushOutcome>;
}

const GIT_PATH = /^\/([^/]+)\/([^/]+?)(?:\.git)?\/(info\/refs|git-upload-pack|git-receive-pack)$/;
const HOOK_PATH = '/_emulator/git/proc-receive';
const HOOK_SCRIPT = fileURLToPath(new URL('./proc-receive-hook.mjs', import.meta.url));

/** The token in an `Authorization` header: Basic password (or user), or a token/bearer value. */
export function tokenFromAuthorization(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const basic = /^basic\s+(\S+)$/i.exec(header);
  if (basic) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const [user, password] =
      colon < 0 ? [decoded, ''] : [decoded.slice(0, colon), decoded.slice(colon + 1)];
    return password || user || undefined;
  }
  return /^(?:token|bearer)\s+(\S+)$/i.exec(header)?.[1];
}

/** Splits CGI output into status, headers and body. */
function parseCgi(output: Buffer): {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
} {
  let end = output.indexOf('\r\n\r\n');
  let skip = 4;
  if (end < 0) {
    end = output.indexOf('\n\n');
    skip = 2;
  }
  const head = output.subarray(0, Math.max(end, 0)).toString('latin1');
  const headers: Record<string, string> = {};
  let status = 200;
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'status') status = Number.parseInt(value, 10);
    else headers[name] = value;
  }
  return { status, headers, body: end < 0 ? output : output.subarray(end + skip) };
}

/** Runs `git http-backend` for one request and resolves with its raw CGI output. */
function runBackend(env: NodeJS.ProcessEnv, input: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0 || out.length > 0) resolve(Buffer.concat(out));
      else reject(new Error(`git http-backend exited ${code}: ${Buffer.concat(err)}`));
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

/** The smart-HTTP git server of one emulated repository. */
export class GitHttpServer {
  private readonly sessions = new Map<string, PushSession>();

  private constructor(
    private readonly options: GitHttpOptions,
    private readonly hookDir: string,
  ) {}

  /** Prepares the hook directory the server's receive-packs run with. */
  static async create(options: GitHttpOptions): Promise<GitHttpServer> {
    const hookDir = await mkdtemp(join(tmpdir(), 'gh-emulator-hooks-'));
    const hook = join(hookDir, 'proc-receive');
    await writeFile(hook, `#!/bin/sh\nexec '${process.execPath}' '${HOOK_SCRIPT}'\n`);
    await chmod(hook, 0o755);
    return new GitHttpServer(options, hookDir);
  }

  /** Clone URL, e.g. `http://127.0.0.1:1234/owner/repo.git`. */
  get url(): string {
    return `${this.options.baseUrl}/${this.options.owner}/${this.options.repo}.git`;
  }

  /** Whether a path is served by git (clone, fetch, push) rather than the REST API. */
  serves(pathname: string): boolean {
    return GIT_PATH.test(pathname);
  }

  /** Whether a path is the hook's callback, which must not wait behind the running push. */
  isHookCallback(pathname: string): boolean {
    return pathname === HOOK_PATH;
  }

  /** Serves one git smart-HTTP request. */
  async serve(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', this.options.baseUrl);
    const [, owner, repo, endpoint] = GIT_PATH.exec(url.pathname) ?? [];
    const text = (status: number, body: string, headers: Record<string, string> = {}) =>
      res.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(body);
    const { options } = this;
    if (
      owner?.toLowerCase() !== options.owner.toLowerCase() ||
      repo?.toLowerCase() !== options.repo.toLowerCase()
    ) {
      return void text(404, 'Repository not found.\n');
    }
    const service = endpoint === 'info/refs' ? url.searchParams.get('service') : endpoint;
    if (service !== 'git-upload-pack' && service !== 'git-receive-pack') {
      // GitHub serves only the smart protocol.
      return void text(403, 'Please upgrade your git client.\n');
    }
    const token = tokenFromAuthorization(req.headers.authorization);
    if (service === 'git-receive-pack' && token === undefined) {
      return void text(401, 'Authentication required\n', {
        'www-authenticate': 'Basic realm="GitHub"',
      });
    }

    const pushId = randomUUID();
    const login = token === undefined ? undefined : options.loginFor(token);
    if (token !== undefined && login !== undefined) this.sessions.set(pushId, { login, token });
    const bare = options.bareRepoPath;
    const env = gitEnv({
      GIT_PROJECT_ROOT: dirname(bare),
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: `/${basename(bare)}/${endpoint}`,
      REQUEST_METHOD: (req.method ?? 'GET').toUpperCase(),
      QUERY_STRING: url.search.replace(/^\?/, ''),
      CONTENT_TYPE: String(req.headers['content-type'] ?? ''),
      CONTENT_LENGTH: String(raw.length),
      HTTP_CONTENT_ENCODING: String(req.headers['content-encoding'] ?? ''),
      HTTP_GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
      REMOTE_ADDR: '127.0.0.1',
      REMOTE_USER: login ?? '',
      GIT_CONFIG_COUNT: '3',
      GIT_CONFIG_KEY_0: 'core.hooksPath',
      GIT_CONFIG_VALUE_0: this.hookDir,
      // Every ref update goes to the proc-receive hook, so the emulator decides each one.
      GIT_CONFIG_KEY_1: 'receive.procReceiveRefs',
      GIT_CONFIG_VALUE_1: 'refs/',
      GIT_CONFIG_KEY_2: 'http.receivepack',
      GIT_CONFIG_VALUE_2: 'true',
      GH_EMULATOR_HOOK_URL: `${options.baseUrl}${HOOK_PATH}`,
      GH_EMULATOR_PUSH_ID: pushId,
    });
    try {
      const cgi = parseCgi(await runBackend(env, raw));
      res.writeHead(cgi.status, cgi.headers).end(cgi.body);
    } finally {
      this.sessions.delete(pushId);
    }
  }

  /** Answers the proc-receive hook of a running push. */
  async serveHookCallback(res: ServerResponse, raw: Buffer): Promise<void> {
    const { push, commands } = JSON.parse(raw.toString('utf8')) as {
      push: string;
      commands: RefUpdate[];
    };
    const session = this.sessions.get(push);
    if (!session) {
      res.writeHead(403, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    const outcome = await this.options.receive(session, commands);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(outcome));
  }

  /** Removes the hook directory. */
  async close(): Promise<void> {
    await rm(this.hookDir, { recursive: true, force: true });
  }
}
