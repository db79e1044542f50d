import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../config/config.js';
import { readDashboardInput } from '../../dashboard/input.js';
import { buildSite } from '../../dashboard/site.js';
import { writeSite } from '../../dashboard/write-site.js';
import { parseCommand } from '../args.js';
import { warning } from '../context.js';
import { LOCAL_REGISTRY } from '../registry-location.js';

export const DEFAULT_DASHBOARD_OUT = 'out/dashboard';

export const DASHBOARD_HELP = `Usage: oncoclear dashboard [--registry DIR] [--out DIR] [--repo-url URL] [--json]

Builds a static site from the registry: an overview per model (production, releases, a "what was
in production on…" picker, metric charts, the timeline of stages), a page per version (metrics,
ROC and calibration, confusion matrix, model card, policy decision, lineage) and a diff of any
two versions. Plain files with relative links: open index.html from disk or publish the folder
anywhere (on GitHub Pages: docs/dashboard.md). Nothing is fetched from the network.

Options:
  --registry DIR   registry to read (default: the config's registry.path, the committed registry)
  --out DIR        where to write the site (default: ${DEFAULT_DASHBOARD_OUT}); a previous build there
                   is replaced, any other non-empty folder is refused
  --repo-url URL   repository URL, e.g. https://github.com/owner/repo, to link commits and data
  --config FILE    project config, for the registry path and primary metric (default:
                   oncoclear.config.json)
  --json           print { "out", "files", "bytes", "models" }
  -h, --help       show this help
`;

export async function dashboardCommand(argv: string[]): Promise<void> {
  const { values } = parseCommand('dashboard', argv, {
    registry: { type: 'string' },
    out: { type: 'string', default: DEFAULT_DASHBOARD_OUT },
    'repo-url': { type: 'string' },
    config: { type: 'string', default: DEFAULT_CONFIG_FILE },
    json: { type: 'boolean', default: false },
  });
  if (values.help) return void process.stdout.write(DASHBOARD_HELP);
  const config = loadConfig(values.config!);
  const dir = values.registry ?? config.registry.path;
  const input = readDashboardInput(dir, warning);
  const files = buildSite(input, {
    primaryMetric: config.promotion.metric,
    repoUrl: values['repo-url'] ?? null,
  });
  const bytes = writeSite(values.out!, files);
  const models = Object.keys(input.registry.models);
  // After local runs the versions are in the local registry, not the committed one read here.
  if (
    models.length === 0 &&
    values.registry === undefined &&
    resolve(dir) !== resolve(LOCAL_REGISTRY) &&
    existsSync(LOCAL_REGISTRY) &&
    Object.keys(readDashboardInput(LOCAL_REGISTRY, () => {}).registry.models).length > 0
  )
    warning(
      `${dir} holds no models; local pipeline runs write to ${LOCAL_REGISTRY}: pass --registry ${LOCAL_REGISTRY} to show those.`,
    );
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({ out: values.out, files: files.size, bytes, models })}\n`,
    );
    return;
  }
  process.stdout.write(
    `Built the dashboard of ${dir} (${models.length} model${models.length === 1 ? '' : 's'}, ${files.size} files, ${(bytes / 1024).toFixed(0)} KiB): ${pathToFileURL(resolve(values.out!, 'index.html')).href}\n`,
  );
}
