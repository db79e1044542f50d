// /docs in a real browser: the running service's Swagger UI, POST /predict expanded, "Try it out",
// a valid body, "Execute", and a 200 with a label rendered in the page. Debian's chromium driven by
// playwright-core (no browser download); skipped only when /usr/bin/chromium is missing (.ci/run
// installs it).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeClinicCsv } from '../service/openapi-model.data.js';
import { CHROMIUM, launchChromium } from './chromium.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'bin', 'oncoclear.js');
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  process.stderr.write(
    `tests/browser/docs.test.ts: skipped, ${CHROMIUM} is missing (apt-get install chromium)\n`,
  );
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitReady(base: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`the service exited with code ${child.exitCode}:\n${stderr()}`);
    }
    try {
      const response = await fetch(`${base}/ready`);
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${base}/ready not 200 within 20 s:\n${stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The served model's features and the training medians its preprocessing stores. */
function storedMedians(modelFile: string): { name: string; features: Record<string, number> } {
  const artifact = JSON.parse(readFileSync(modelFile, 'utf8')) as {
    name: string;
    features: string[];
    preprocessing: { impute: string; fill: number[] };
  };
  expect(artifact.preprocessing.impute).toBe('median');
  return {
    name: artifact.name,
    features: Object.fromEntries(
      artifact.features.map((f, i) => [f, artifact.preprocessing.fill[i]!]),
    ),
  };
}

/**
 * The two models the page is checked with: the project's own (WDBC), and one trained by the CLI on
 * a generated data set with other columns and classes, whose "Try it out" used to be a 422.
 */
const MODELS = [
  { title: 'the project model', config: () => 'oncoclear.config.json' },
  {
    title: 'a model of another data set',
    config: (dir: string) => {
      const file = join(dir, 'clinic.config.json');
      writeFileSync(file, JSON.stringify(writeClinicCsv(dir).config));
      return file;
    },
  },
];

describe.skipIf(!hasChromium).each(MODELS)('Swagger UI at /docs for $title', ({ config }) => {
  let dir = '';
  let child: ChildProcess | undefined;
  let browser: Browser | undefined;
  let base = '';
  let serviceStderr = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'oncoclear-docs-'));
    execFileSync(process.execPath, [CLI, 'train', '--config', config(dir), '--out', dir], {
      cwd: ROOT,
      stdio: 'pipe',
    });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    child = spawn(
      process.execPath,
      [
        CLI,
        'serve',
        '--model',
        join(dir, 'model.json'),
        '--port',
        String(port),
        '--host',
        '127.0.0.1',
        '--no-watch',
      ],
      { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr!.on('data', (chunk: Buffer) => {
      serviceStderr += chunk.toString();
    });
    await waitReady(base, child, () => serviceStderr);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Opens /docs and fails with the URLs at fault when Swagger UI's assets cannot load. */
  async function openDocs(): Promise<Page> {
    const page = await browser!.newPage();
    const failed: string[] = [];
    page.on('requestfailed', (r) => failed.push(`${r.url()} (${r.failure()?.errorText})`));
    page.on('response', (r) => {
      if (r.status() >= 400) failed.push(`${r.url()} (HTTP ${r.status()})`);
    });
    const response = await page.goto(`${base}/docs`, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    expect(await page.title()).toMatch(
      new RegExp(`^${storedMedians(join(dir, 'model.json')).name} v`),
    );
    try {
      await page
        .locator('.opblock-summary-path[data-path="/predict"]')
        .waitFor({ timeout: 15_000 });
    } catch (error) {
      const why = failed.length > 0 ? `failed requests: ${failed.join(', ')}` : 'no failed request';
      throw new Error(
        `Swagger UI did not render POST /predict at ${base}/docs (${why}). Its assets must be served by the service itself: the network may be closed.`,
        { cause: error },
      );
    }
    return page;
  }

  it('runs POST /predict from "Try it out" and shows a 200 with a label', async () => {
    const page = await openDocs();
    const operation = page.locator('.opblock.opblock-post', {
      has: page.locator('.opblock-summary-path[data-path="/predict"]'),
    });
    await operation.locator('.opblock-summary').first().click();
    await operation.getByRole('button', { name: 'Try it out' }).click();

    const textarea = operation.locator('textarea.body-param__text');
    await textarea.waitFor();
    // The documented example is sent as it is: a user who only clicks must get a prediction.
    // It is the loaded model's own row of training medians (rounded for reading).
    const prefilled = JSON.parse(await textarea.inputValue()) as {
      features: Record<string, number>;
    };
    const medians = storedMedians(join(dir, 'model.json')).features;
    expect(Object.keys(prefilled)).toEqual(['features']);
    expect(Object.keys(prefilled.features)).toEqual(Object.keys(medians));
    for (const [name, median] of Object.entries(medians))
      expect(Math.abs(prefilled.features[name]! - median)).toBeLessThanOrEqual(
        Math.abs(median) * 5e-4,
      );

    await operation.getByRole('button', { name: 'Execute' }).click();
    const status = operation.locator('.live-responses-table .response .response-col_status');
    await status.first().waitFor({ timeout: 15_000 });
    expect((await status.first().textContent())?.trim()).toBe('200');
    const body = await operation
      .locator('.live-responses-table .response .response-col_description pre')
      .first()
      .textContent();
    const { classes } = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as {
      classes: string[];
    };
    expect(JSON.parse(body!).label).toBeOneOf(classes);
    expect(body).toContain('predictionId');
    await page.close();
  });

  it('serves an OpenAPI document that lists POST /predict', async () => {
    const response = await fetch(`${base}/openapi.json`);
    expect(response.status).toBe(200);
    const doc = (await response.json()) as { paths?: Record<string, { post?: unknown }> };
    expect(doc.paths?.['/predict']?.post).toBeDefined();
  });
});
