import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Service } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import {
  DEFAULT_DRAIN_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  oldSpaceCap,
  processBudget,
} from '../../service/options.js';

// Offline checks of deploy/: no cluster is reachable here, so each manifest is validated against
// the schemas a cluster would use (kubernetes-models' compiled OpenAPI schemas; the KServe CRD's
// openAPIV3Schema), and the references between manifests that no schema sees are checked here.

const KUBE_DIR = 'deploy/kubernetes';
const KSERVE_FILE = 'deploy/kserve/inferenceservice.yaml';
const CRD_FILE = 'tests/fixtures/kserve/serving.kserve.io_inferenceservices.yaml';
/** The image's user (service/Dockerfile: USER 10001:10001). */
const IMAGE_UID = 10001;
/**
 * What the grace period must leave after the drain: the longest a request in flight can take
 * (the service's request timeout; manifests do not change it) and a little to spare.
 */
const IN_FLIGHT_MARGIN_MS = DEFAULT_REQUEST_TIMEOUT_MS + 5000;

// biome-ignore lint/suspicious/noExplicitAny: manifests are free-form YAML, checked by schema here.
type Manifest = Record<string, any>;

/** Every YAML document in a file, parsed strictly (duplicate keys and YAML errors fail). */
function documents(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(file, 'utf8'), { uniqueKeys: true }).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`);
    return doc.toJS() as Manifest;
  });
}

const kube = readdirSync(KUBE_DIR)
  .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
  .flatMap((f) => documents(join(KUBE_DIR, f)).map((doc) => ({ file: f, doc })));
const one = (kind: string): Manifest => {
  const found = kube.filter(({ doc }) => doc.kind === kind);
  if (found.length !== 1)
    throw new Error(`expected one ${kind} in ${KUBE_DIR}, found ${found.length}`);
  return found[0]!.doc;
};
const deployment = one('Deployment');
const service = one('Service');
const pdb = one('PodDisruptionBudget');
const hpa = one('HorizontalPodAutoscaler');
const [isvc] = documents(KSERVE_FILE);

const env = (container: Manifest, name: string): string | undefined =>
  container.env?.find((e: Manifest) => e.name === name)?.value;

/** A Kubernetes memory quantity ("256Mi", "1Gi", "300M", "1e9") in bytes. */
function bytesOf(quantity: string | number): number {
  const match = /^(\d+(?:\.\d+)?(?:e\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(String(quantity));
  if (!match) throw new Error(`memory quantity '${quantity}' not understood`);
  const unit = {
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
  };
  return Number(match[1]) * (match[2] ? unit[match[2] as keyof typeof unit] : 1);
}

/**
 * Whether the container's server processes, each budgeted as serve sizes its default cluster
 * (service/options.ts processBudget: the heap cap in NODE_OPTIONS and what lies beside it), fit
 * its memory limit: otherwise the cgroup kills a process before V8 collects hard near its cap.
 */
function expectProcessesFit(container: Manifest): void {
  // Unpinned, the process count would follow the node's CPUs: the manifests pin it.
  expect(env(container, 'WORKERS'), 'WORKERS').toMatch(/^[1-9]\d*$/);
  const processes = Number(env(container, 'WORKERS'));
  const budget = processBudget(oldSpaceCap([], env(container, 'NODE_OPTIONS')));
  expect(processes * budget).toBeLessThanOrEqual(bytesOf(container.resources.limits.memory));
}

/** The port a probe or Service names (a number, or a container port's name) as a number. */
function resolvePort(container: Manifest, port: number | string): number | undefined {
  if (typeof port === 'number') return port;
  return container.ports?.find((p: Manifest) => p.name === port)?.containerPort;
}

/**
 * The CRD's openAPIV3Schema, made strict the way `kubectl apply --validate=strict` is: an object
 * with declared properties refuses any other key (the API server would drop it, so a typo such as
 * `readinesProbe` would silently remove a probe), unless the schema says to keep unknown fields.
 */
function strict(schema: Manifest): Manifest {
  if (Array.isArray(schema)) return schema.map(strict);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Manifest = {};
  for (const [key, value] of Object.entries(schema)) {
    out[key] = key === 'enum' || key === 'required' ? value : strict(value);
  }
  if (
    out.type === 'object' &&
    out.properties &&
    out.additionalProperties === undefined &&
    out['x-kubernetes-preserve-unknown-fields'] !== true
  ) {
    out.additionalProperties = false;
  }
  return out;
}

function crdValidator() {
  const crd = parse(readFileSync(CRD_FILE, 'utf8')) as Manifest;
  const version = crd.spec.versions.find((v: Manifest) => v.storage);
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats.default(ajv);
  const schema = strict(version.schema.openAPIV3Schema);
  return {
    version: `${crd.spec.group}/${version.name}`,
    kind: crd.spec.names.kind as string,
    isvc: ajv.compile(schema),
    // The CRD embeds Kubernetes' own PodSpec and Container schemas (generated from k8s.io/api):
    // strict about unknown fields, which kubernetes-models' schemas are not.
    podSpec: ajv.compile(schema.properties.spec.properties.predictor),
  };
}
const crd = crdValidator();

const errorsOf = (validate: ReturnType<typeof crdValidator>['isvc']) =>
  (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);

describe('deploy/kubernetes', () => {
  it('holds a Deployment, Service, PodDisruptionBudget and HorizontalPodAutoscaler that validate against the Kubernetes schemas', () => {
    // Arrange
    const models = [
      new Deployment(deployment as never),
      new Service(service as never),
      new PodDisruptionBudget(pdb as never),
      new HorizontalPodAutoscaler(hpa as never),
    ];

    // Act / Assert: validate() throws with the JSON path of the first problem.
    for (const model of models) expect(() => model.validate()).not.toThrow();
    expect(kube.map(({ doc }) => doc.kind).sort()).toEqual([
      'Deployment',
      'HorizontalPodAutoscaler',
      'PodDisruptionBudget',
      'Service',
    ]);
  });

  it('refuses a manifest with a wrong type, so validation is not a no-op', () => {
    const broken = structuredClone(deployment);
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'http';

    expect(() => new Deployment(broken as never).validate()).toThrow(/containerPort/);
  });

  it('has no unknown field in the pod template (strict, as kubectl --validate=strict)', () => {
    const ok = crd.podSpec(deployment.spec.template.spec);
    expect(errorsOf(crd.podSpec)).toEqual([]);
    expect(ok).toBe(true);

    const typo = structuredClone(deployment.spec.template.spec);
    typo.containers[0].readinesProbe = typo.containers[0].readinessProbe;
    expect(crd.podSpec(typo)).toBe(false);
  });

  it('lists every manifest in kustomization.yaml', () => {
    const [kustomization] = documents(join(KUBE_DIR, 'kustomization.yaml'));
    expect([...kustomization!.resources].sort()).toEqual(
      [...new Set(kube.map((m) => m.file))].sort(),
    );
  });

  it('selects the Deployment’s pods from the Service and the PodDisruptionBudget', () => {
    const podLabels = deployment.spec.template.metadata.labels;
    const matches = (selector: Record<string, string>) =>
      Object.entries(selector).every(([key, value]) => podLabels[key] === value);

    expect(matches(deployment.spec.selector.matchLabels)).toBe(true);
    expect(matches(service.spec.selector)).toBe(true);
    expect(pdb.spec.selector).toEqual(deployment.spec.selector);
    expect(Object.keys(service.spec.selector).length).toBeGreaterThan(0);
  });

  it('points the Service, the probes, PORT and the scrape annotation at the container’s one port', () => {
    const [container] = deployment.spec.template.spec.containers;
    const port = container.ports[0].containerPort;

    expect(container.ports).toHaveLength(1);
    expect(Number(env(container, 'PORT'))).toBe(port);
    expect(resolvePort(container, service.spec.ports[0].targetPort)).toBe(port);
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      expect(resolvePort(container, container[probe].httpGet.port), probe).toBe(port);
    }
    expect(Number(deployment.spec.template.metadata.annotations['prometheus.io/port'])).toBe(port);
  });

  it('probes /ready for readiness and /health for liveness, with timeouts above the 1 s default', () => {
    const [container] = deployment.spec.template.spec.containers;

    expect(container.readinessProbe.httpGet.path).toBe('/ready');
    expect(container.livenessProbe.httpGet.path).toBe('/health');
    expect(container.startupProbe.httpGet.path).toBe('/health');
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      expect(container[probe].timeoutSeconds, probe).toBeGreaterThanOrEqual(2);
    }
  });

  it('gives the drain its time: grace period > DRAIN_MS + request timeout, readiness seen failing within the drain', () => {
    const pod = deployment.spec.template.spec;
    const [container] = pod.containers;
    const drainMs = Number(env(container, 'DRAIN_MS') ?? DEFAULT_DRAIN_MS);
    const readiness = container.readinessProbe;

    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(drainMs + IN_FLIGHT_MARGIN_MS);
    expect(readiness.periodSeconds * readiness.failureThreshold * 1000).toBeLessThanOrEqual(
      drainMs,
    );
    // A new pod must be ready before an old one drains away.
    expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
  });

  it('pins one server process per pod, so a change of serve’s default cannot fork workers into it', () => {
    const [container] = deployment.spec.template.spec.containers;
    expect(env(container, 'WORKERS')).toBe('1');
  });

  it('holds its server processes and their heap cap within the memory limit', () => {
    const [container] = deployment.spec.template.spec.containers;
    expectProcessesFit(container);
    // The check can fail: the 192 MiB cap this once had does not fit 256Mi.
    const before = {
      ...container,
      env: [
        { name: 'WORKERS', value: '1' },
        { name: 'NODE_OPTIONS', value: '--max-old-space-size=192' },
      ],
    };
    expect(() => expectProcessesFit(before)).toThrow();
    expect(bytesOf('256Mi')).toBe(256 * 2 ** 20);
    expect(bytesOf('1G')).toBe(1e9);
  });

  it('runs as the image’s non-root user with a read-only root and no capabilities', () => {
    const pod = deployment.spec.template.spec;
    const [container] = pod.containers;

    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: IMAGE_UID,
      runAsGroup: IMAGE_UID,
    });
    expect(container.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(container.resources.requests.cpu).toBeDefined();
    expect(container.resources.limits.memory).toBeDefined();
  });

  it('scales the Deployment by name with the HPA, keeping more replicas than the PDB lets go', () => {
    expect(hpa.spec.scaleTargetRef).toEqual({
      apiVersion: deployment.apiVersion,
      kind: 'Deployment',
      name: deployment.metadata.name,
    });
    expect(hpa.spec.minReplicas).toBeGreaterThan(pdb.spec.maxUnavailable);
    // The HPA owns the count; a replicas field would fight it on every apply.
    expect(deployment.spec.replicas).toBeUndefined();
  });
});

describe('deploy/kserve/inferenceservice.yaml', () => {
  const predictor = isvc!.spec.predictor;
  const [container] = predictor.containers;

  it('validates against the InferenceService CRD’s openAPIV3Schema', () => {
    const ok = crd.isvc(isvc);

    expect(errorsOf(crd.isvc)).toEqual([]);
    expect(ok).toBe(true);
    expect(`${isvc!.apiVersion} ${isvc!.kind}`).toBe(`${crd.version} ${crd.kind}`);
  });

  it('refuses an unknown field and a wrong type, so validation is not a no-op', () => {
    const typo = structuredClone(isvc!);
    typo.spec.predictor.containers[0].readinesProbe = {};
    const wrong = structuredClone(isvc!);
    wrong.spec.predictor.minReplicas = 'two';

    expect(crd.isvc(typo)).toBe(false);
    expect(crd.isvc(wrong)).toBe(false);
  });

  it('runs the released image as a custom container on PORT 8080 under the InferenceService’s name', () => {
    const [kubeContainer] = deployment.spec.template.spec.containers;

    expect(predictor.containers).toHaveLength(1);
    expect(container.name).toBe('kserve-container');
    expect(container.image).toBe(kubeContainer.image);
    expect(container.ports).toHaveLength(1);
    expect(container.ports[0].containerPort).toBe(8080);
    expect(env(container, 'PORT')).toBe('8080');
    // Clients call /v2/models/<InferenceService name>/infer.
    expect(env(container, 'MODEL_NAME')).toBe(isvc!.metadata.name);
    expect(isvc!.metadata.name).toMatch(/^[a-z]([-a-z0-9]*[a-z0-9])?$/);
  });

  it('probes the OIP health routes on the container port', () => {
    expect(container.readinessProbe.httpGet).toEqual({ path: '/v2/health/ready', port: 8080 });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/v2/health/live', port: 8080 });
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      expect(container[probe].timeoutSeconds, probe).toBeGreaterThanOrEqual(2);
    }
  });

  it('drains and runs locked down like the Deployment', () => {
    const drainMs = Number(env(container, 'DRAIN_MS') ?? DEFAULT_DRAIN_MS);
    const { readinessProbe } = container;

    expect(predictor.terminationGracePeriodSeconds * 1000).toBeGreaterThan(
      drainMs + IN_FLIGHT_MARGIN_MS,
    );
    expect(
      readinessProbe.periodSeconds * readinessProbe.failureThreshold * 1000,
    ).toBeLessThanOrEqual(drainMs);
    expect(predictor.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: IMAGE_UID });
    expect(container.securityContext).toEqual(
      deployment.spec.template.spec.containers[0].securityContext,
    );
    expect(predictor.minReplicas).toBeGreaterThanOrEqual(2);
    expect(env(container, 'WORKERS')).toBe('1');
    expectProcessesFit(container);
  });
});
