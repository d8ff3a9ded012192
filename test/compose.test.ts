/**
 * docker-compose.yml's production-like profile ("prod"; docs/ops/metrics.md), read as YAML: no
 * Docker needed. Two API processes, a worker, Postgres, Redis with noeviction and an append-only
 * file, each with a health check, and Prometheus scraping every API and the worker with the
 * metrics token and loading the alert rules the metrics test checks.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

type Service = {
  profiles?: string[];
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test?: string[]; disable?: boolean };
  volumes?: string[];
  configs?: { source: string; target: string }[];
  depends_on?: Record<string, unknown>;
};
const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');
const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service>; configs?: Record<string, { content?: string }> };
const dockerfile = read('Dockerfile');

/** The services `docker compose --profile <p> up` starts: those without a profile, and the profile's. */
const servicesOf = (profile: string) => Object.entries(compose.services).filter(([, s]) => !s.profiles || s.profiles.includes(profile));

describe('docker-compose.yml, profile prod', () => {
  const prod = new Map(servicesOf('prod'));
  const apps = [...prod].filter(([, s]) => s.build !== undefined && s.environment?.PORT === '3000');

  it('runs two API processes, a worker, Postgres, Redis (noeviction, append-only) and Prometheus, each health-checked', () => {
    expect(apps.map(([n]) => n).sort()).toEqual(['api', 'api-2']);
    expect(prod.get('worker')?.command).toEqual(['node', 'dist/workers/index.js']);
    expect(prod.get('postgres')?.image).toMatch(/^postgres:/);
    const redis = prod.get('redis')!.command!.join(' ');
    expect(redis).toMatch(/--maxmemory-policy noeviction/);
    expect(redis).toMatch(/--appendonly yes/);
    // the app's own check is the image's HEALTHCHECK on /readyz (the worker's on its health port)
    expect(dockerfile).toMatch(/HEALTHCHECK[\s\S]*HEALTH_PORT[\s\S]*\/readyz/);
    expect(prod.get('worker')!.environment!.HEALTH_PORT).toBe(prod.get('worker')!.environment!.WORKER_HEALTH_PORT);
    for (const name of ['postgres', 'redis', 'prometheus']) expect(prod.get(name)?.healthcheck?.test, name).toBeDefined();
    for (const [name, s] of [...apps, ['worker', prod.get('worker')!] as const]) {
      expect(s.healthcheck?.disable, name).not.toBe(true);
      expect(s.environment!.METRICS_TOKEN, name).toBe('${METRICS_TOKEN:-}');
    }
    // the default `docker compose up` is unchanged: one API, no Prometheus
    const dev = new Map(servicesOf('none'));
    expect(dev.has('api-2') || dev.has('prometheus')).toBe(false);
  });

  it('has Prometheus scrape every API and the worker with the token, and load the alert rules', () => {
    const prom = prod.get('prometheus')!;
    const mounted = new Map((prom.volumes ?? []).map((v) => [v.split(':')[1]!, v.split(':')[0]!]));
    const configFile = prom.command!.find((c) => c.startsWith('--config.file='))!.split('=')[1]!;
    expect(mounted.get(configFile)).toBe('./docs/ops/prometheus.yml');
    const config = parse(read('docs/ops/prometheus.yml')) as { rule_files: string[]; scrape_configs: { job_name: string; authorization?: { type?: string; credentials_file?: string }; static_configs: { targets: string[] }[] }[] };
    for (const rules of config.rule_files) expect(mounted.get(rules), rules).toBe('./docs/ops/alerts.yml');

    const tokenFile = prom.configs!.find((c) => c.source === 'metrics-token')!.target;
    expect(compose.configs!['metrics-token']!.content).toBe('${METRICS_TOKEN:-}');
    const jobs = new Map(config.scrape_configs.map((j) => [j.job_name, j]));
    expect([...jobs.keys()].sort()).toEqual(['signpost-api', 'signpost-worker']);
    for (const j of jobs.values()) expect(j.authorization, j.job_name).toEqual({ type: 'Bearer', credentials_file: tokenFile });
    const targets = (job: string) => jobs.get(job)!.static_configs.flatMap((c) => c.targets).sort();
    expect(targets('signpost-api')).toEqual(apps.map(([n, s]) => `${n}:${s.environment!.PORT}`).sort());
    const worker = prod.get('worker')!.environment!;
    expect(targets('signpost-worker')).toEqual([`worker:${worker.WORKER_HEALTH_PORT}`]);
    // reachable from Prometheus's container, not only from the worker's own
    expect(worker.WORKER_HEALTH_HOST).toBe('0.0.0.0');
  });
});
