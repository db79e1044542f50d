import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type ArtifactService,
  type ArtifactServiceOptions,
  readZip,
  startArtifactService,
} from '../harness/artifact-service.js';
import { runActionBundle } from './runner.js';
import { projectWorkspace } from './workspace.js';

const OUT_DIR = '.oncoclear/candidate';
const FILES = ['comparison.json', 'model.json', 'model.json.sha256', 'report.md'];

let service: ArtifactService | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
});

/** One train job against the backend; `runtimeToken` picks the job (e.g. a re-run attempt). */
async function trainJob(backend: ArtifactService, runtimeToken = backend.runtimeToken) {
  const workspace = projectWorkspace();
  const run = await runActionBundle('train', {
    workspace,
    inputs: { 'retention-days': '7' },
    env: {
      GITHUB_REPOSITORY: 'octo/oncoclear',
      GITHUB_SHA: 'a'.repeat(40),
      GITHUB_RUN_ID: '42',
      GITHUB_SERVER_URL: 'https://github.com',
      ACTIONS_RUNTIME_TOKEN: runtimeToken,
      ACTIONS_RESULTS_URL: backend.url,
    },
  });
  return { workspace, run };
}

async function trainWithBackend(options: ArtifactServiceOptions = {}) {
  service = await startArtifactService(options);
  return { service, ...(await trainJob(service)) };
}

/** Twirp JSON calls to the emulator, as the client makes them. */
function twirpClient(backend: ArtifactService, token = backend.runtimeToken) {
  const base = `${backend.url}twirp/github.actions.results.api.v1.ArtifactService`;
  return (method: string, body: unknown) =>
    fetch(`${base}/${method}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
}

const uploadOperations = (backend: ArtifactService) =>
  backend.requests.map((r) => r.operation).filter((o) => o !== 'PutBlock');

describe('train action artifact upload (emulated Actions artifact backend)', () => {
  it('uploads the out-dir as a zip through CreateArtifact, Azure blocks and FinalizeArtifact', async () => {
    const { service, workspace, run } = await trainWithBackend();
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(service.violations).toEqual([]);
    expect(run.warnings).toEqual([]);

    // The protocol, in order: look for an artifact of that name to replace (none), create,
    // stage block(s), commit the block list, finalize.
    const operations = service.requests.map((r) => r.operation);
    expect(operations.slice(0, 2)).toEqual(['ListArtifacts', 'CreateArtifact']);
    expect(operations.at(-2)).toBe('PutBlockList');
    expect(operations.at(-1)).toBe('FinalizeArtifact');
    expect(operations.slice(2, -2).every((o) => o === 'PutBlock')).toBe(true);
    expect(operations.length).toBeGreaterThanOrEqual(5);
    expect(service.requests.every((r) => r.status >= 200 && r.status < 300)).toBe(true);
    expect(service.requests[0]!.json).toEqual({
      workflow_run_backend_id: service.workflowRunBackendId,
      workflow_job_run_backend_id: service.workflowJobRunBackendId,
      name_filter: 'candidate-model',
    });
    expect(service.deleted).toEqual([]);
    const create = service.requests[1]!;
    expect(create.json).toMatchObject({
      workflow_run_backend_id: service.workflowRunBackendId,
      workflow_job_run_backend_id: service.workflowJobRunBackendId,
      name: 'candidate-model',
      version: 7,
      mime_type: 'application/zip',
    });
    expect(create.headers['user-agent']).toMatch(/^@actions\/artifact-6\./);

    const artifact = service.artifacts.get('candidate-model');
    expect(artifact).toBeDefined();
    if (!artifact) return;
    expect(artifact.finalized).toBe(true);
    expect(artifact.retentionDays).toBe(7);
    expect(artifact.blobContentType).toBe('application/zip');
    expect(artifact.size).toBe(artifact.zip.length);
    expect(artifact.hash).toBe(`sha256:${createHash('sha256').update(artifact.zip).digest('hex')}`);
    // The client masks the SAS signature of the upload URL in the log.
    expect(run.stdout).toContain(`::add-mask::${artifact.signature}`);

    const entries = readZip(artifact.zip);
    expect([...entries.keys()].sort()).toEqual(FILES);
    const outDir = join(workspace, OUT_DIR);
    expect(readdirSync(outDir).sort()).toEqual(FILES);
    for (const file of FILES) {
      expect(entries.get(file)!.equals(readFileSync(join(outDir, file))), file).toBe(true);
    }
    expect(run.outputs.artifact).toBe(`${OUT_DIR}/model.json`);
    expect(run.summary).toContain(
      `Uploaded the model and report as workflow artifact \`candidate-model\` (id ${artifact.id}).`,
    );
    expect(run.summary).not.toContain('It replaces');
  }, 60_000);

  it('replaces the artifact an earlier attempt uploaded, so "Re-run all jobs" does not fail with 409', async () => {
    // Arrange: the first attempt of the run uploads candidate-model.
    const first = await trainWithBackend();
    expect(first.run.exitCode, first.run.stdout + first.run.stderr).toBe(0);
    const old = first.service.artifacts.get('candidate-model')!;
    first.service.requests.length = 0;

    // Act: a re-run attempt is a new job (a new job backend id) of the same run.
    const rerun = await trainJob(first.service, first.service.tokenForJob('job-of-attempt-2'));

    // Assert: the old artifact was found across jobs, deleted by its own ids, then re-uploaded.
    expect(rerun.run.exitCode, rerun.run.stdout + rerun.run.stderr).toBe(0);
    expect(first.service.violations).toEqual([]);
    expect(rerun.run.warnings).toEqual([]);
    expect(uploadOperations(first.service)).toEqual([
      'ListArtifacts',
      'DeleteArtifact',
      'CreateArtifact',
      'PutBlockList',
      'FinalizeArtifact',
    ]);
    const del = first.service.requests.find((r) => r.operation === 'DeleteArtifact')!;
    expect(del.json).toEqual({
      workflow_run_backend_id: first.service.workflowRunBackendId,
      workflow_job_run_backend_id: old.workflowJobRunBackendId,
      name: 'candidate-model',
    });
    expect(first.service.deleted).toEqual([old]);

    const current = first.service.artifacts.get('candidate-model')!;
    expect(current.id).toBeGreaterThan(old.id);
    expect(current.finalized).toBe(true);
    expect(current.workflowJobRunBackendId).toBe('job-of-attempt-2');
    const entries = readZip(current.zip);
    const outDir = join(rerun.workspace, OUT_DIR);
    for (const file of FILES) {
      expect(entries.get(file)!.equals(readFileSync(join(outDir, file))), file).toBe(true);
    }
    expect(rerun.run.summary).toContain(
      `(id ${current.id}). It replaces artifact ${old.id}, which an earlier attempt of this run uploaded.`,
    );

    // What a later job downloads is the new zip.
    const post = twirpClient(first.service);
    const signed = await post('GetSignedArtifactURL', {
      workflow_run_backend_id: first.service.workflowRunBackendId,
      workflow_job_run_backend_id: first.service.workflowJobRunBackendId,
      name: 'candidate-model',
    });
    const { signed_url: url } = (await signed.json()) as { signed_url: string };
    const download = await fetch(url);
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(current.zip)).toBe(true);
  }, 90_000);

  it('warns and still uploads when the look-up for an artifact to replace fails', async () => {
    const { service, run } = await trainWithBackend({
      respond: {
        ListArtifacts: {
          status: 403,
          body: { code: 'permission_denied', msg: 'listing is not allowed' },
        },
      },
    });
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.warnings).toEqual([
      "Could not delete the artifact 'candidate-model' an earlier attempt of this run uploaded (Failed to ListArtifacts: Received non-retryable error: Failed request: (403) Forbidden: listing is not allowed); uploading anyway.",
    ]);
    expect(uploadOperations(service)).toEqual([
      'ListArtifacts',
      'CreateArtifact',
      'PutBlockList',
      'FinalizeArtifact',
    ]);
    expect(service.artifacts.get('candidate-model')?.finalized).toBe(true);
  }, 60_000);

  it('fails the step with the backend message when CreateArtifact is rejected (not retried)', async () => {
    const started = Date.now();
    const { service, run } = await trainWithBackend({
      respond: {
        CreateArtifact: {
          status: 400,
          body: { code: 'invalid_argument', msg: 'artifact storage is read-only' },
        },
      },
    });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([
      "Uploading workflow artifact 'candidate-model' failed: Failed to CreateArtifact: Received non-retryable error: Failed request: (400) Bad Request: artifact storage is read-only",
    ]);
    expect(service.requests.map((r) => r.operation)).toEqual(['ListArtifacts', 'CreateArtifact']);
    expect(service.artifacts.size).toBe(0);
    expect(run.summary).not.toContain('Uploaded the model');
    // The report survives a failed upload: training itself worked.
    expect(run.summary).toContain('| metric (same test rows, 95% CI) | candidate |');
    expect(run.summary).toContain('Artifact upload failed: Failed to CreateArtifact');
    // A 4xx is not retried: no 3 s backoff.
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 60_000);

  it('fails the step when CreateArtifact answers ok: false', async () => {
    const { service, run } = await trainWithBackend({
      respond: { CreateArtifact: { status: 200, body: { ok: false } } },
    });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([
      "Uploading workflow artifact 'candidate-model' failed: CreateArtifact: response from backend was not ok",
    ]);
    expect(service.requests.map((r) => r.operation)).toEqual(['ListArtifacts', 'CreateArtifact']);
  }, 60_000);

  it('fails the step when blob storage rejects the upload, without finalizing', async () => {
    const { service, run } = await trainWithBackend({
      respond: {
        PutBlock: {
          status: 403,
          code: 'AuthenticationFailed',
          message: 'Signature did not match.',
        },
      },
    });
    expect(run.exitCode).toBe(1);
    // The Azure error's <Message>, with the context of what was being uploaded.
    expect(run.errors).toEqual([
      "Uploading workflow artifact 'candidate-model' failed: Signature did not match.",
    ]);
    expect(service.violations).toEqual([]);
    expect(service.requests.map((r) => r.operation)).toEqual([
      'ListArtifacts',
      'CreateArtifact',
      'PutBlock',
    ]);
    expect(service.artifacts.get('candidate-model')?.finalized).toBe(false);
  }, 60_000);
});

describe('artifact service emulator', () => {
  it('rejects what the real client never sends, with Twirp errors, and records it', async () => {
    service = await startArtifactService();
    const twirp = `${service.url}twirp/github.actions.results.api.v1.ArtifactService`;
    const ids = {
      workflow_run_backend_id: service.workflowRunBackendId,
      workflow_job_run_backend_id: service.workflowJobRunBackendId,
    };
    const post = (path: string, body: unknown, token = service!.runtimeToken) =>
      fetch(`${twirp}/${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const create = { ...ids, name: 'x', version: 7, mime_type: 'application/zip' };

    const unknownField = await post('CreateArtifact', { ...create, color: 'red' });
    expect(unknownField.status).toBe(400);
    expect(await unknownField.json()).toEqual({
      code: 'invalid_argument',
      msg: 'unknown field color',
    });
    expect((await post('CreateArtifact', create, 'not-the-token')).status).toBe(401);
    expect((await post('DeleteEverything', create)).status).toBe(404);
    expect((await post('FinalizeArtifact', { ...ids, name: 'x', size: '1' })).status).toBe(404);
    expect((await fetch(`${service.url}nowhere`)).status).toBe(404);

    // Created but nothing uploaded: finalize is refused; a forged signature is refused.
    const created = await post('CreateArtifact', create);
    const { signed_upload_url: upload } = (await created.json()) as { signed_upload_url: string };
    const forged = new URL(upload);
    forged.searchParams.set('sig', 'forged');
    forged.searchParams.set('comp', 'block');
    forged.searchParams.set('blockid', Buffer.from('block-0').toString('base64'));
    const put = await fetch(forged, {
      method: 'PUT',
      headers: { 'x-ms-version': '2026-04-06' },
      body: 'zip',
    });
    expect(put.status).toBe(403);
    expect(put.headers.get('x-ms-error-code')).toBe('AuthenticationFailed');
    expect((await post('FinalizeArtifact', { ...ids, name: 'x', size: '0' })).status).toBe(412);

    expect(service.violations).toHaveLength(7);
    expect(service.violations[0]).toContain('unknown field color');
    expect(service.artifacts.get('x')?.finalized).toBe(false);
  });

  it('assembles staged blocks in block-list order and checks size and hash on finalize', async () => {
    service = await startArtifactService();
    const twirp = `${service.url}twirp/github.actions.results.api.v1.ArtifactService`;
    const ids = {
      workflow_run_backend_id: service.workflowRunBackendId,
      workflow_job_run_backend_id: service.workflowJobRunBackendId,
      name: 'blocks',
    };
    const post = (method: string, body: unknown) =>
      fetch(`${twirp}/${method}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${service!.runtimeToken}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
      });
    const created = await post('CreateArtifact', { ...ids, version: 7 });
    const { signed_upload_url: upload } = (await created.json()) as { signed_upload_url: string };
    const blockId = (n: number) =>
      Buffer.from(`prefix-${String(n).padStart(6, '0')}`).toString('base64');
    const put = (
      query: Record<string, string>,
      body: string,
      type = 'application/octet-stream',
    ) => {
      const url = new URL(upload);
      for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
      return fetch(url, {
        method: 'PUT',
        headers: { 'x-ms-version': '2026-04-06', 'content-type': type },
        body,
      });
    };
    // Staged out of order, committed in order.
    expect((await put({ comp: 'block', blockid: blockId(1) }, 'world')).status).toBe(201);
    expect((await put({ comp: 'block', blockid: blockId(0) }, 'hello ')).status).toBe(201);
    const list = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><BlockList><Latest>${blockId(0)}</Latest><Latest>${blockId(1)}</Latest></BlockList>`;
    const committed = await put({ comp: 'blocklist' }, list, 'application/xml; charset=utf-8');
    expect(committed.status).toBe(201);
    expect(committed.headers.get('etag')).toMatch(/^"0x[0-9A-F]+"$/);
    expect(service.artifacts.get('blocks')?.zip.toString()).toBe('hello world');

    expect((await post('FinalizeArtifact', { ...ids, size: '10' })).status).toBe(400);
    expect((await post('FinalizeArtifact', { ...ids, size: '11', hash: 'sha256:00' })).status).toBe(
      400,
    );
    const hash = `sha256:${createHash('sha256').update('hello world').digest('hex')}`;
    const finalized = await post('FinalizeArtifact', { ...ids, size: '11', hash });
    expect(await finalized.json()).toEqual({
      ok: true,
      artifact_id: String(service.artifacts.get('blocks')!.id),
    });
    expect(service.violations).toHaveLength(2);
  });

  it('keeps names unique per run across jobs, lists and deletes by the uploading job', async () => {
    service = await startArtifactService();
    const ids = { workflow_run_backend_id: service.workflowRunBackendId };
    const firstJob = { ...ids, workflow_job_run_backend_id: service.workflowJobRunBackendId };
    const secondJob = { ...ids, workflow_job_run_backend_id: 'job-2' };
    const first = twirpClient(service);
    const second = twirpClient(service, service.tokenForJob('job-2'));
    const created = await first('CreateArtifact', { ...firstJob, name: 'm', version: 7 });
    const { signed_upload_url: upload } = (await created.json()) as { signed_upload_url: string };
    const blob = await fetch(upload, {
      method: 'PUT',
      headers: { 'x-ms-version': '2026-04-06', 'x-ms-blob-type': 'BlockBlob' },
      body: 'zip',
    });
    expect(blob.status).toBe(201);
    expect((await first('FinalizeArtifact', { ...firstJob, name: 'm', size: '3' })).status).toBe(
      200,
    );

    // Another job of the run (a re-run attempt) may not reuse the name...
    const conflict = await second('CreateArtifact', { ...secondJob, name: 'm', version: 7 });
    expect(conflict.status).toBe(409);
    // ...but sees the artifact, and deletes it by the ids of the job that uploaded it.
    const listed = await second('ListArtifacts', { ...secondJob, name_filter: 'm' });
    const { artifacts } = (await listed.json()) as { artifacts: Record<string, unknown>[] };
    expect(artifacts).toEqual([
      expect.objectContaining({
        ...firstJob,
        name: 'm',
        size: '3',
        database_id: expect.any(String),
      }),
    ]);
    expect((await second('DeleteArtifact', { ...secondJob, name: 'm' })).status).toBe(404);
    const deleted = await second('DeleteArtifact', { ...firstJob, name: 'm' });
    expect(await deleted.json()).toEqual({ ok: true, artifact_id: artifacts[0]!.database_id });
    const empty = await second('ListArtifacts', { ...secondJob, name_filter: 'm' });
    expect(await empty.json()).toEqual({ artifacts: [] });
    expect((await second('CreateArtifact', { ...secondJob, name: 'm', version: 7 })).status).toBe(
      200,
    );
    // A job id the token was not issued for is refused.
    expect((await second('ListArtifacts', { ...firstJob })).status).toBe(400);
    expect(service.violations).toHaveLength(3);
  });

  it('reads the runtime token claims the way @actions/artifact does', async () => {
    service = await startArtifactService({
      workflowRunBackendId: 'run-1',
      workflowJobRunBackendId: 'job-1',
    });
    const [, payload] = service.runtimeToken.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8'));
    const scope = (claims.scp as string).split(' ').find((s) => s.startsWith('Actions.Results:'));
    expect(scope).toBe('Actions.Results:run-1:job-1');
  });
});
