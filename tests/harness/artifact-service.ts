/**
 * A local stand-in for the GitHub Actions artifact backend that `@actions/artifact` v6 talks to,
 * so an action bundle's `uploadArtifact` runs end to end in a test.
 *
 * What the client does (node_modules/@actions/artifact/lib/internal/upload/*):
 * 1. Reads ACTIONS_RUNTIME_TOKEN, a JWT whose `scp` claim holds
 *    `Actions.Results:<workflowRunBackendId>:<workflowJobRunBackendId>`, and ACTIONS_RESULTS_URL
 *    (only its origin is used).
 * 2. POSTs Twirp JSON (proto field names) with `Authorization: Bearer <token>` to
 *    `/twirp/github.actions.results.api.v1.ArtifactService/CreateArtifact`:
 *    `{ workflow_run_backend_id, workflow_job_run_backend_id, name, version: 7,
 *    mime_type: 'application/zip', expires_at? }` → `{ ok, signed_upload_url }`.
 *    Non-2xx answers must still be JSON (a non-JSON body counts as retryable); 500/502/503/504/429
 *    are retried 5 times with 3 s+ backoff, other statuses fail at once with the body's `msg`.
 * 3. Streams the zip to the signed URL with @azure/storage-blob `BlockBlobClient.uploadStream`:
 *    one `PUT ?comp=block&blockid=<base64>` per 8 MiB block, then `PUT ?comp=blocklist` with
 *    `<BlockList><Latest>id</Latest>…</BlockList>`, both answered 201. No Content-MD5 or CRC64 is
 *    sent by default; `x-ms-blob-content-type` rides on the block list.
 * 4. POSTs `FinalizeArtifact`: `{ …backend ids, name, size: '<int64>', hash: 'sha256:<hex>' }`
 *    → `{ ok, artifact_id: '<int64>' }`.
 *
 * Finding and deleting (lib/internal/find/*, lib/internal/delete/*):
 * - `ListArtifacts` `{ …backend ids, name_filter?: '<name>', id_filter?: '<int64>' }` →
 *   `{ artifacts: [{ workflow_run_backend_id, workflow_job_run_backend_id, database_id, name,
 *   size, created_at, digest? }] }`: the finalized artifacts of the whole run, whichever job (or
 *   run attempt) uploaded them.
 * - `DeleteArtifact` `{ workflow_run_backend_id, workflow_job_run_backend_id, name }`, with the
 *   ids of the listed artifact (not the caller's job) → `{ ok, artifact_id }`. Names are unique
 *   per run, so a re-run's upload under a used name is 409 until the old one is deleted.
 * - `GetSignedArtifactURL` `{ …backend ids, name }` → `{ signed_url }`, a read-only SAS URL that
 *   answers `GET` with the zip.
 *
 * The server validates strictly: anything unexpected is answered 4xx and recorded in `violations`.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32, inflateRawSync } from 'node:zlib';

export const TWIRP_SERVICE = 'github.actions.results.api.v1.ArtifactService';
/** Request fields per method, by proto name (the client sends `useProtoFieldName: true`). */
const FIELDS = {
  CreateArtifact: [
    'workflow_run_backend_id',
    'workflow_job_run_backend_id',
    'name',
    'expires_at',
    'version',
    'mime_type',
  ],
  FinalizeArtifact: [
    'workflow_run_backend_id',
    'workflow_job_run_backend_id',
    'name',
    'size',
    'hash',
  ],
  ListArtifacts: [
    'workflow_run_backend_id',
    'workflow_job_run_backend_id',
    'name_filter',
    'id_filter',
  ],
  GetSignedArtifactURL: ['workflow_run_backend_id', 'workflow_job_run_backend_id', 'name'],
  DeleteArtifact: ['workflow_run_backend_id', 'workflow_job_run_backend_id', 'name'],
};
const ACCOUNT = 'devstoreaccount1';
const CONTAINER = 'actions-results';
const STORAGE_VERSION = '2026-04-06';

export type TwirpMethod = keyof typeof FIELDS;
export type BlobOperation = 'PutBlock' | 'PutBlockList' | 'PutBlob' | 'GetBlob';

export interface StoredArtifact {
  id: number;
  name: string;
  workflowRunBackendId: string;
  workflowJobRunBackendId: string;
  version: number;
  mimeType?: string;
  /** `expires_at` as sent (RFC 3339). */
  expiresAt?: string;
  /** Whole days between CreateArtifact and `expires_at`. */
  retentionDays?: number;
  signedUploadUrl: string;
  /** The `sig` of the signed upload URL (the client must mask it in the log). */
  signature: string;
  /** The committed blob: the uploaded zip. Empty until the block list is committed. */
  zip: Buffer;
  committed: boolean;
  /** `x-ms-blob-content-type` of the commit. */
  blobContentType?: string;
  /** Blocks the committed blob was assembled from. */
  blockCount: number;
  /** `size` from FinalizeArtifact. */
  size?: number;
  /** `hash` from FinalizeArtifact, e.g. `sha256:<hex>`. */
  hash?: string;
  finalized: boolean;
  createdAt: Date;
  /** The `sig` of the read-only URL from GetSignedArtifactURL, once one was asked for. */
  downloadSignature?: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Twirp method or blob operation. */
  operation: string;
  headers: Record<string, string | string[] | undefined>;
  bodyBytes: number;
  /** Parsed JSON body of Twirp calls. */
  json?: unknown;
  status: number;
}

export interface CannedResponse {
  status: number;
  /** JSON body; omitted → `{}`. */
  body?: unknown;
}

/** An Azure Storage error: `<Error><Code>…</Code><Message>…</Message></Error>`. */
export interface CannedStorageError {
  status: number;
  code: string;
  message: string;
}

export interface ArtifactServiceOptions {
  /** Replace an operation's answer, to exercise the client's failure handling. */
  respond?: Partial<Record<TwirpMethod, CannedResponse>> &
    Partial<Record<BlobOperation, CannedStorageError>>;
  workflowRunBackendId?: string;
  workflowJobRunBackendId?: string;
}

export interface ArtifactService {
  /** For ACTIONS_RESULTS_URL. */
  url: string;
  /** For ACTIONS_RUNTIME_TOKEN. */
  runtimeToken: string;
  workflowRunBackendId: string;
  workflowJobRunBackendId: string;
  artifacts: Map<string, StoredArtifact>;
  /** Artifacts removed by DeleteArtifact, in order. */
  deleted: StoredArtifact[];
  /**
   * A runtime token for another job of the same run, e.g. the job of a re-run attempt (a new
   * job backend id). Artifacts are shared by the run; each job uploads under its own id.
   */
  tokenForJob(workflowJobRunBackendId: string): string;
  requests: RecordedRequest[];
  /** Protocol violations the server rejected, in order. */
  violations: string[];
  close(): Promise<void>;
}

class TwirpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

class StorageError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An unsigned JWT (`alg: none`, empty signature) carrying the claims the client reads. */
export function runtimeTokenFor(runBackendId: string, jobBackendId: string): string {
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    iss: 'https://token.actions.githubusercontent.com',
    aud: 'vso:00000000-0000-0000-0000-000000000000',
    nbf: now - 60,
    exp: now + 3600,
    scp: `Actions.GenericRead:00000000-0000-0000-0000-000000000000 Actions.Results:${runBackendId}:${jobBackendId}`,
  };
  return `${base64url({ typ: 'JWT', alg: 'none' })}.${base64url(payload)}.`;
}

export async function startArtifactService(
  options: ArtifactServiceOptions = {},
): Promise<ArtifactService> {
  const runId = options.workflowRunBackendId ?? randomUUID();
  const jobId = options.workflowJobRunBackendId ?? randomUUID();
  const runtimeToken = runtimeTokenFor(runId, jobId);
  /** Bearer token → the job backend id it was issued for. */
  const jobsByToken = new Map([[runtimeToken, jobId]]);
  const artifacts = new Map<string, StoredArtifact>();
  const deleted: StoredArtifact[] = [];
  const requests: RecordedRequest[] = [];
  const violations: string[] = [];
  /** Uncommitted blocks per blob path. */
  const staged = new Map<string, Map<string, Buffer>>();
  let nextId = 1000;
  let origin = '';

  const blobPath = (job: string, name: string) =>
    `/${ACCOUNT}/${CONTAINER}/${runId}/${job}/${encodeURIComponent(name)}.zip`;
  const sas = (permissions: string, signature: string) =>
    new URLSearchParams({
      sv: STORAGE_VERSION,
      sr: 'b',
      sp: permissions,
      se: new Date(Date.now() + 3_600_000).toISOString(),
      sig: signature,
    });

  function handleTwirp(method: string, req: IncomingMessage, body: Buffer): unknown {
    if (req.method !== 'POST') throw new TwirpError(404, 'bad_route', `${req.method} not allowed`);
    if (!Object.hasOwn(FIELDS, method))
      throw new TwirpError(404, 'bad_route', `no handler for ${TWIRP_SERVICE}/${method}`);
    const callerJob = jobsByToken.get(
      String(req.headers.authorization ?? '').replace(/^Bearer /, ''),
    );
    if (!req.headers.authorization?.startsWith('Bearer ') || callerJob === undefined)
      throw new TwirpError(401, 'unauthenticated', 'missing or wrong bearer token');
    if (req.headers['content-type'] !== 'application/json')
      throw new TwirpError(
        404,
        'bad_route',
        `unexpected Content-Type: ${req.headers['content-type']}`,
      );
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      throw new TwirpError(400, 'malformed', 'the request body is not JSON');
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      throw new TwirpError(400, 'malformed', 'the request body is not a JSON object');
    const fields = json as Record<string, unknown>;
    const allowed: readonly string[] = FIELDS[method as TwirpMethod];
    for (const key of Object.keys(fields)) {
      if (!allowed.includes(key))
        throw new TwirpError(400, 'invalid_argument', `unknown field ${key}`);
    }
    if (fields.workflow_run_backend_id !== runId)
      throw new TwirpError(400, 'invalid_argument', 'the run backend id does not match the token');
    // DeleteArtifact names the job that uploaded the artifact, as ListArtifacts reported it.
    if (method !== 'DeleteArtifact' && fields.workflow_job_run_backend_id !== callerJob)
      throw new TwirpError(400, 'invalid_argument', 'the job backend id does not match the token');
    if (method === 'ListArtifacts') return listArtifacts(fields);
    const name = fields.name;
    if (typeof name !== 'string' || name === '')
      throw new TwirpError(400, 'invalid_argument', 'name is required');
    if (method === 'DeleteArtifact') return deleteArtifact(name, fields);
    if (method === 'GetSignedArtifactURL') return signedArtifactUrl(name);
    return method === 'CreateArtifact'
      ? createArtifact(name, fields, callerJob)
      : finalizeArtifact(name, fields);
  }

  function listArtifacts(fields: Record<string, unknown>): unknown {
    const { name_filter: name, id_filter: id } = fields;
    // Wrapper types (StringValue, Int64Value) are plain values in proto3 JSON.
    if (name !== undefined && typeof name !== 'string')
      throw new TwirpError(400, 'invalid_argument', `name_filter must be a string: ${name}`);
    if (id !== undefined && (typeof id !== 'string' || !/^\d+$/.test(id)))
      throw new TwirpError(400, 'invalid_argument', `id_filter must be an int64 string: ${id}`);
    const listed = [...artifacts.values()].filter(
      (a) =>
        a.finalized &&
        (name === undefined || a.name === name) &&
        (id === undefined || String(a.id) === id),
    );
    return {
      artifacts: listed.map((a) => ({
        workflow_run_backend_id: a.workflowRunBackendId,
        workflow_job_run_backend_id: a.workflowJobRunBackendId,
        database_id: String(a.id),
        name: a.name,
        size: String(a.size ?? a.zip.length),
        created_at: a.createdAt.toISOString(),
        ...(a.hash ? { digest: a.hash } : {}),
      })),
    };
  }

  function deleteArtifact(name: string, fields: Record<string, unknown>): unknown {
    const artifact = artifacts.get(name);
    if (!artifact?.finalized)
      throw new TwirpError(404, 'not_found', `no artifact named ${name} in this run`);
    if (fields.workflow_job_run_backend_id !== artifact.workflowJobRunBackendId)
      throw new TwirpError(
        404,
        'not_found',
        `no artifact named ${name} was uploaded by job ${fields.workflow_job_run_backend_id}`,
      );
    artifacts.delete(name);
    deleted.push(artifact);
    return { ok: true, artifact_id: String(artifact.id) };
  }

  function signedArtifactUrl(name: string): unknown {
    const artifact = artifacts.get(name);
    if (!artifact?.finalized)
      throw new TwirpError(404, 'not_found', `no artifact named ${name} in this run`);
    artifact.downloadSignature ??= randomBytes(24).toString('base64');
    const path = blobPath(artifact.workflowJobRunBackendId, name);
    return { signed_url: `${origin}${path}?${sas('r', artifact.downloadSignature)}` };
  }

  function createArtifact(name: string, fields: Record<string, unknown>, job: string): unknown {
    if (fields.version !== 7)
      throw new TwirpError(400, 'invalid_argument', `unsupported version ${fields.version}`);
    if (fields.mime_type !== undefined && typeof fields.mime_type !== 'string')
      throw new TwirpError(400, 'invalid_argument', 'mime_type must be a string');
    let retentionDays: number | undefined;
    const expiresAt = fields.expires_at;
    if (expiresAt !== undefined) {
      if (
        typeof expiresAt !== 'string' ||
        !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/.test(expiresAt)
      )
        throw new TwirpError(400, 'invalid_argument', `expires_at is not RFC 3339: ${expiresAt}`);
      const ms = Date.parse(expiresAt) - Date.now();
      if (!(ms > 0)) throw new TwirpError(400, 'invalid_argument', 'expires_at is in the past');
      retentionDays = Math.round(ms / 86_400_000);
    }
    if (artifacts.get(name)?.finalized)
      throw new TwirpError(409, 'already_exists', `an artifact named ${name} already exists`);
    const signature = randomBytes(24).toString('base64');
    const query = sas('cw', signature);
    const path = blobPath(job, name);
    staged.delete(path);
    const artifact: StoredArtifact = {
      id: nextId++,
      name,
      workflowRunBackendId: runId,
      workflowJobRunBackendId: job,
      version: fields.version,
      mimeType: fields.mime_type as string | undefined,
      expiresAt: expiresAt as string | undefined,
      retentionDays,
      signedUploadUrl: `${origin}${path}?${query}`,
      signature,
      zip: Buffer.alloc(0),
      committed: false,
      blockCount: 0,
      finalized: false,
      createdAt: new Date(),
    };
    artifacts.set(name, artifact);
    return { ok: true, signed_upload_url: artifact.signedUploadUrl };
  }

  function finalizeArtifact(name: string, fields: Record<string, unknown>): unknown {
    const artifact = artifacts.get(name);
    if (!artifact) throw new TwirpError(404, 'not_found', `no artifact named ${name} was created`);
    if (artifact.finalized)
      throw new TwirpError(409, 'already_exists', `artifact ${name} is already finalized`);
    if (!artifact.committed)
      throw new TwirpError(412, 'failed_precondition', `no blob was committed for ${name}`);
    // int64 is a JSON string in proto3 JSON.
    if (typeof fields.size !== 'string' || !/^\d+$/.test(fields.size))
      throw new TwirpError(400, 'invalid_argument', `size must be an int64 string: ${fields.size}`);
    const size = Number(fields.size);
    if (size !== artifact.zip.length)
      throw new TwirpError(
        400,
        'invalid_argument',
        `size ${size} does not match the ${artifact.zip.length} bytes uploaded`,
      );
    if (fields.hash !== undefined) {
      const expected = `sha256:${createHash('sha256').update(artifact.zip).digest('hex')}`;
      if (fields.hash !== expected)
        throw new TwirpError(400, 'invalid_argument', `hash ${fields.hash} is not ${expected}`);
      artifact.hash = fields.hash;
    }
    artifact.size = size;
    artifact.finalized = true;
    return { ok: true, artifact_id: String(artifact.id) };
  }

  /** `GET` of a URL from GetSignedArtifactURL: the finalized zip. */
  function handleDownload(url: URL, res: ServerResponse): void {
    const artifact = [...artifacts.values()].find(
      (a) =>
        a.finalized &&
        blobPath(a.workflowJobRunBackendId, a.name) === url.pathname &&
        a.downloadSignature !== undefined,
    );
    if (!artifact) throw new StorageError(404, 'BlobNotFound', 'no such download URL');
    if (
      url.searchParams.get('sig') !== artifact.downloadSignature ||
      url.searchParams.get('sp') !== 'r'
    )
      throw new StorageError(
        403,
        'AuthenticationFailed',
        'the read signature is missing or altered',
      );
    res.writeHead(200, {
      'content-type': artifact.blobContentType ?? 'application/octet-stream',
      'content-length': String(artifact.zip.length),
      'x-ms-blob-type': 'BlockBlob',
      'x-ms-version': STORAGE_VERSION,
    });
    res.end(artifact.zip);
  }

  function blobOperation(query: URLSearchParams): BlobOperation {
    const comp = query.get('comp');
    if (comp === 'block') return 'PutBlock';
    if (comp === 'blocklist') return 'PutBlockList';
    if (comp === null) return 'PutBlob';
    throw new StorageError(400, 'InvalidQueryParameterValue', `unsupported comp=${comp}`);
  }

  function handleBlob(
    req: IncomingMessage,
    url: URL,
    operation: BlobOperation,
    body: Buffer,
    res: ServerResponse,
  ): void {
    const artifact = [...artifacts.values()].find(
      (a) =>
        decodeURIComponent(new URL(a.signedUploadUrl).pathname) ===
        decodeURIComponent(url.pathname),
    );
    if (!artifact) throw new StorageError(404, 'ContainerNotFound', 'no such upload URL');
    const signed = new URL(artifact.signedUploadUrl).searchParams;
    for (const [key, value] of signed) {
      if (url.searchParams.get(key) !== value)
        throw new StorageError(
          403,
          'AuthenticationFailed',
          `signed query parameter ${key} is missing or altered`,
        );
    }
    if (artifact.finalized)
      throw new StorageError(409, 'BlobImmutable', 'the artifact is already finalized');
    if (req.method !== 'PUT') throw new StorageError(405, 'UnsupportedHttpVerb', `${req.method}`);
    if (req.headers['x-ms-version'] !== STORAGE_VERSION)
      throw new StorageError(
        400,
        'InvalidHeaderValue',
        `x-ms-version ${req.headers['x-ms-version']}`,
      );
    if (Number(req.headers['content-length']) !== body.length)
      throw new StorageError(400, 'InvalidHeaderValue', 'Content-Length does not match the body');
    for (const header of ['x-ms-content-crc64', 'x-ms-structured-body']) {
      if (req.headers[header] !== undefined)
        throw new StorageError(400, 'UnsupportedHeader', `the emulator does not verify ${header}`);
    }
    const md5 = req.headers['content-md5'];
    if (md5 !== undefined && md5 !== createHash('md5').update(body).digest('base64'))
      throw new StorageError(400, 'Md5Mismatch', 'Content-MD5 does not match the body');
    const blocks = staged.get(url.pathname) ?? new Map<string, Buffer>();
    staged.set(url.pathname, blocks);
    const headers: Record<string, string> = {};
    if (operation === 'PutBlock') {
      const id = url.searchParams.get('blockid');
      if (!id || !/^[A-Za-z0-9+/]+={0,2}$/.test(id) || Buffer.from(id, 'base64').length > 64)
        throw new StorageError(400, 'InvalidQueryParameterValue', `bad blockid ${id}`);
      const first = blocks.keys().next();
      if (!first.done && first.value.length !== id.length)
        throw new StorageError(400, 'InvalidBlobOrBlock', 'block ids must all have one length');
      blocks.set(id, body);
      if (md5 !== undefined) headers['content-md5'] = md5;
    } else if (operation === 'PutBlockList') {
      if (!String(req.headers['content-type']).startsWith('application/xml'))
        throw new StorageError(400, 'InvalidHeaderValue', 'a block list is application/xml');
      const ids = parseBlockList(body.toString('utf8'));
      const parts = ids.map((id) => {
        const block = blocks.get(id);
        if (!block) throw new StorageError(400, 'InvalidBlockList', `block ${id} was not staged`);
        return block;
      });
      artifact.zip = Buffer.concat(parts);
      artifact.blockCount = parts.length;
      commit(artifact, req, headers);
      staged.delete(url.pathname);
    } else {
      if (req.headers['x-ms-blob-type'] !== 'BlockBlob')
        throw new StorageError(400, 'MissingRequiredHeader', 'x-ms-blob-type: BlockBlob');
      artifact.zip = body;
      artifact.blockCount = 1;
      commit(artifact, req, headers);
      staged.delete(url.pathname);
    }
    const clientRequestId = req.headers['x-ms-client-request-id'];
    res.writeHead(201, {
      ...headers,
      'content-length': '0',
      'x-ms-request-id': randomUUID(),
      'x-ms-version': STORAGE_VERSION,
      'x-ms-request-server-encrypted': 'true',
      ...(typeof clientRequestId === 'string' ? { 'x-ms-client-request-id': clientRequestId } : {}),
      date: new Date().toUTCString(),
    });
    res.end();
  }

  function commit(artifact: StoredArtifact, req: IncomingMessage, headers: Record<string, string>) {
    const type = req.headers['x-ms-blob-content-type'];
    artifact.blobContentType = typeof type === 'string' ? type : undefined;
    artifact.committed = true;
    headers.etag = `"0x${createHash('md5').update(artifact.zip).digest('hex').slice(0, 15).toUpperCase()}"`;
    headers['last-modified'] = new Date().toUTCString();
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const record: RecordedRequest = {
        method: req.method ?? '',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        operation: 'unknown',
        headers: { ...req.headers },
        bodyBytes: body.length,
        status: 0,
      };
      requests.push(record);
      const twirp = new RegExp(`^/twirp/${TWIRP_SERVICE.replace(/\./g, '\\.')}/([A-Za-z]+)$`).exec(
        url.pathname,
      );
      try {
        if (twirp) {
          record.operation = twirp[1]!;
          try {
            record.json = JSON.parse(body.toString('utf8'));
          } catch {}
          const canned = options.respond?.[twirp[1] as TwirpMethod];
          const result = canned ?? { status: 200, body: handleTwirp(twirp[1]!, req, body) };
          record.status = canned ? canned.status : 200;
          sendJson(res, record.status, result.body ?? {});
        } else if (url.pathname.startsWith(`/${ACCOUNT}/`) && req.method === 'GET') {
          record.operation = 'GetBlob';
          const canned = options.respond?.GetBlob;
          if (canned) throw new StorageError(canned.status, canned.code, canned.message);
          handleDownload(url, res);
          record.status = 200;
        } else if (url.pathname.startsWith(`/${ACCOUNT}/`)) {
          const operation = blobOperation(url.searchParams);
          record.operation = operation;
          const canned = options.respond?.[operation];
          if (canned) throw new StorageError(canned.status, canned.code, canned.message);
          handleBlob(req, url, operation, body, res);
          record.status = 201;
        } else {
          throw new TwirpError(404, 'bad_route', `no route for ${req.method} ${url.pathname}`);
        }
      } catch (error) {
        record.status =
          error instanceof TwirpError || error instanceof StorageError ? error.status : 500;
        const message = error instanceof Error ? error.message : String(error);
        const injected = record.operation in (options.respond ?? {});
        if (!injected)
          violations.push(`${req.method} ${url.pathname} ${record.operation}: ${message}`);
        if (error instanceof StorageError) {
          res.writeHead(error.status, {
            'content-type': 'application/xml',
            'x-ms-error-code': error.code,
            'x-ms-request-id': randomUUID(),
            'x-ms-version': STORAGE_VERSION,
          });
          res.end(
            `<?xml version="1.0" encoding="utf-8"?><Error><Code>${error.code}</Code><Message>${escapeXml(message)}</Message></Error>`,
          );
        } else {
          const code = error instanceof TwirpError ? error.code : 'internal';
          sendJson(res, record.status, { code, msg: message });
        }
      }
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: `${origin}/`,
    runtimeToken,
    workflowRunBackendId: runId,
    workflowJobRunBackendId: jobId,
    artifacts,
    deleted,
    tokenForJob: (job: string) => {
      const token = runtimeTokenFor(runId, job);
      jobsByToken.set(token, job);
      return token;
    },
    requests,
    violations,
    close: () =>
      new Promise<void>((done, fail) => {
        server.close((error) => (error ? fail(error) : done()));
        server.closeAllConnections();
      }),
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Block ids of a Put Block List body, in order; only `<Latest>` (uncommitted-or-committed). */
export function parseBlockList(xml: string): string[] {
  const m = /^\s*(?:<\?xml[^?]*\?>)?\s*<BlockList>([\s\S]*)<\/BlockList>\s*$/.exec(xml);
  if (!m) throw new StorageError(400, 'InvalidXmlDocument', 'body is not a <BlockList>');
  const ids: string[] = [];
  const rest = m[1]!.replace(/<Latest>([^<]*)<\/Latest>/g, (_, id: string) => {
    ids.push(id);
    return '';
  });
  if (rest.trim() !== '')
    throw new StorageError(400, 'InvalidXmlDocument', `unsupported block list content: ${rest}`);
  return ids;
}

/**
 * Reads a (non-ZIP64) zip from its central directory: entry name → uncompressed bytes.
 * Checks every entry's size and CRC-32. Handles stored (0) and deflated (8) entries.
 */
export function readZip(zip: Buffer): Map<string, Buffer> {
  let eocd = zip.length - 22;
  while (eocd >= 0 && zip.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error('zip: no end-of-central-directory record');
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  if (at === 0xffffffff) throw new Error('zip: ZIP64 is not supported');
  const entries = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error(`zip: bad central entry ${i}`);
    const method = zip.readUInt16LE(at + 10);
    const crc = zip.readUInt32LE(at + 16);
    const compressed = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const next = at + 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    const local = zip.readUInt32LE(at + 42);
    if (zip.readUInt32LE(local) !== 0x04034b50) throw new Error(`zip: bad local header ${name}`);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(start, start + compressed);
    let data: Buffer;
    if (method === 0) data = Buffer.from(raw);
    else if (method === 8) data = inflateRawSync(raw);
    else throw new Error(`zip: ${name} uses unsupported method ${method}`);
    if (data.length !== size || crc32(data) !== crc)
      throw new Error(`zip: ${name} fails its size or CRC-32 check`);
    entries.set(name, data);
    at = next;
  }
  return entries;
}
